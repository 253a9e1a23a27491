package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.journal.Journal;
import dev.vdisk.engine.journal.JournalLoss;
import dev.vdisk.engine.journal.JournalRecord;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps 3 and 4 of a pool's open: re-applies the journal's records to their vdisks (records of unknown ids are
 * dropped), then, if the journal lost records and the loss was accepted, keeps what survived.
 */
final class PoolReplay {
    private static final Logger LOG = LoggerFactory.getLogger(PoolReplay.class);

    private PoolReplay() {}

    /**
     * Replays {@code journal} from record {@code from} (the superblock's replay position) into the vdisks of
     * {@code catalog}, telling {@code points} which record it is applying.
     */
    static void replay(
            Journal journal,
            ConsistencyPoints points,
            VdiskCatalog catalog,
            Allocator alloc,
            PointerHolds holds,
            long from,
            Path dir) {
        points.replaying(from);
        prepareForPointers(journal, catalog, alloc, holds, from);
        long n = journal.replay(from, (seq, id, off, len, type, payload) -> {
            points.replaying(seq);
            Vdisk v = catalog.byId(id);
            if (v == null) {
                return;
            }
            if (type == JournalRecord.TYPE_WRITE) {
                v.replay().write(seq, off, payload);
            } else if (type == JournalRecord.TYPE_POINTER) {
                v.replay().pointer(seq, off, payload);
            } else {
                v.replay().discard(seq, off, len);
            }
        });
        points.replaying(Long.MAX_VALUE);
        for (Vdisk v : catalog.all()) {
            v.replay().end();
        }
        if (n > 0) {
            LOG.info("replayed {} journal records of pool {} from record {}", n, dir, from);
        }
    }

    /**
     * Before replay: every new segment a pointer record to replay names is held (named in the holds, and kept from
     * reuse if free), so that no allocation during replay takes it before its record claims it; each vdisk judges its
     * pointer records ({@link VdiskReplay#preparePointer}).
     */
    private static void prepareForPointers(
            Journal journal, VdiskCatalog catalog, Allocator alloc, PointerHolds holds, long from) {
        LongStream.Builder vbns = LongStream.builder();
        journal.peek(from, (seq, id, off, len, type, payload) -> {
            if (type != JournalRecord.TYPE_POINTER) {
                return;
            }
            long vbn = payload.order(ByteOrder.LITTLE_ENDIAN)
                    .getLong(payload.position() + JournalRecord.POINTER_VBN_OFFSET);
            if (alloc.isDataVbn(vbn)) {
                holds.name(vbn, seq);
                vbns.add(vbn);
            }
            Vdisk v = catalog.byId(id);
            if (v != null) {
                v.replay().preparePointer(seq, off, payload);
            }
        });
        alloc.holdIfFree(vbns.build().toArray());
    }

    /**
     * After the replay: if the journal lost records (accepted, {@link PoolOptions#acceptJournalLoss()}), destages what
     * survived and takes a point past it ({@code triggers.drain()}), then drops the damaged files and logs which
     * vdisks and ranges may hold older data. Returns the losses (empty if none).
     */
    static List<JournalLoss> keepWhatSurvived(Journal journal, PointTriggers triggers, VdiskCatalog catalog, Path dir) {
        List<JournalLoss> losses = journal.losses();
        if (!losses.isEmpty()) {
            triggers.drain();
            journal.startOverAfterLoss();
            for (String line : JournalLossReport.lines(losses, catalog.vdiskNamesById())) {
                LOG.warn("pool {}: {}", dir, line);
            }
        }
        return losses;
    }
}
