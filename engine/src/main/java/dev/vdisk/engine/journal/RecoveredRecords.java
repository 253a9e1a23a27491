package dev.vdisk.engine.journal;

import java.util.List;

/**
 * What recovery found: the records to replay, used up by the first {@link #replay}, and the losses it was told to
 * accept, kept until the journal starts over. No lock: the fields are volatile, and replay must not hold appendLock.
 */
final class RecoveredRecords {
    /** What recovery found to replay; cleared by {@link #replay}. */
    private volatile List<FileScan.Run> replayRuns = List.of();

    private volatile List<JournalLoss> losses = List.of();

    /** Keeps what {@link JournalRepair} recovered. */
    void found(List<FileScan.Run> runs, List<JournalLoss> lost) {
        replayRuns = runs;
        losses = lost;
    }

    List<JournalLoss> losses() {
        return losses;
    }

    /** The losses were dealt with (the journal started over). */
    void forgetLosses() {
        losses = List.of();
    }

    /** Passes the records with seq >= {@code from} to {@code sink} once; returns how many. */
    long replay(long from, RecordSink sink) {
        List<FileScan.Run> runs = replayRuns;
        replayRuns = List.of();
        // not under appendLock: the sink may wait for the destager, which appends nothing but reads nextSeq()
        return JournalReplay.replay(runs, from, sink);
    }

    /** As {@link #replay}, without using the records up. */
    void peek(long from, RecordSink sink) {
        JournalReplay.replay(replayRuns, from, sink);
    }
}
