package dev.vdisk.engine.journal;

import static dev.vdisk.engine.journal.JournalFiles.FIRST_RECORD;

import dev.vdisk.engine.error.JournalDamagedException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A journal's recovery at open, on its files: check the headers, scan the records, decide ({@link JournalRecovery})
 * and carry the decision out (cut a torn tail, delete the files after it).
 */
final class JournalRepair {
    private static final Logger LOG = LoggerFactory.getLogger(JournalRepair.class);

    private JournalRepair() {}

    /**
     * What recovery left: the files kept (first sequence number to bytes), the records to replay, the losses accepted
     * and the sequence number after the last valid record.
     */
    record Recovered(TreeMap<Long, Long> files, List<FileScan.Run> runs, List<JournalLoss> losses, long nextSeq) {}

    /**
     * Checks every header, scans every file, plans ({@link JournalRecovery}) and carries the plan out: a torn tail is
     * cut, damage throws {@link JournalDamagedException} unless {@code acceptLoss}.
     */
    static Recovered recover(Path dir, UUID pool, long replaySeq, OptionalLong synced, boolean acceptLoss)
            throws IOException {
        List<Path> paths = JournalFiles.list(dir);
        Set<Path> headerless = JournalHeaders.check(paths, pool);
        List<FileScan> scans = new ArrayList<>();
        for (Path p : paths) {
            scans.add(
                    headerless.contains(p)
                            ? FileScan.headerless(p, JournalFiles.firstSeqOf(p))
                            : FileScan.of(p, JournalFiles.firstSeqOf(p), FIRST_RECORD));
        }
        if (synced.isEmpty() && replaySeq > 0) {
            LOG.warn(
                    "journal of {} has no valid sync mark; only records below {} (the replay position) are known to"
                            + " have been fsynced",
                    dir,
                    replaySeq);
        }
        JournalRecovery.Plan plan = JournalRecovery.plan(dir, scans, replaySeq, synced);
        if (!plan.losses().isEmpty() && !acceptLoss) {
            throw new JournalDamagedException(plan.losses());
        }
        if (plan.torn() != null) {
            JournalRecovery.Cut t = plan.torn();
            LOG.warn(
                    "journal file {}: record {} at byte {} is torn ({}); dropping it and everything after it ({} later"
                            + " valid records), none of which was fsynced",
                    t.file(),
                    t.seq(),
                    t.byteOffset(),
                    t.problem() == null ? "missing" : t.problem(),
                    plan.droppedAfterTorn());
        }
        TreeMap<Long, Long> kept = apply(plan, scans, headerless, pool);
        return new Recovered(kept, plan.runs(), plan.losses(), plan.nextSeq());
    }

    /**
     * Cuts every file at the plan's torn tail (if it has one: a damaged journal is kept whole, for the records on both
     * sides of its gaps), deletes files wholly past it, gives a headerless file at the cut its header back, and fsyncs
     * each file kept. Returns the files kept: first sequence number to size in bytes.
     */
    private static TreeMap<Long, Long> apply(
            JournalRecovery.Plan plan, List<FileScan> scans, Set<Path> headerless, UUID pool) throws IOException {
        TreeMap<Long, Long> kept = new TreeMap<>();
        long cut = plan.losses().isEmpty() ? plan.nextSeq() : Long.MAX_VALUE;
        for (FileScan f : scans) {
            if (f.firstSeq() > cut) {
                Files.delete(f.path());
                continue;
            }
            long keep = f.size();
            if (cut != Long.MAX_VALUE) {
                keep = f.runs().stream()
                        .filter(r -> r.endSeq() <= cut)
                        .mapToLong(FileScan.Run::endByte)
                        .max()
                        .orElse(Math.min(FIRST_RECORD, f.size()));
            }
            // a torn tail's file whose header never reached the disk holds no record: it gets its header back
            boolean rewrite = cut != Long.MAX_VALUE && headerless.contains(f.path());
            try (FileChannel ch = FileChannel.open(f.path(), StandardOpenOption.WRITE)) {
                if (rewrite) {
                    ch.truncate(0);
                    JournalFiles.writeHeader(ch, pool, f.firstSeq());
                    keep = FIRST_RECORD;
                } else if (keep < f.size()) {
                    ch.truncate(keep);
                }
                ch.force(true); // the sync mark written after recovery covers every record kept
            }
            kept.put(f.firstSeq(), keep);
        }
        return kept;
    }
}
