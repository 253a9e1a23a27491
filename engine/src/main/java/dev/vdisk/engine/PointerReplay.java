package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.journal.JournalRecord;
import dev.vdisk.engine.map.StoreMap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replay of a vdisk's pointer records at open (docs/architecture/write-path.md, "Write anywhere"): which records take
 * effect ({@link #prepareReplay}, before the journal is replayed), which older pieces they supersede, and installing
 * them ({@link #replay}, through {@link PointerWriter#install}). Single-threaded like the replay; the maps are
 * concurrent only so that reads from other threads (none during open) stay safe.
 */
final class PointerReplay {
    private static final Logger LOG = LoggerFactory.getLogger(PointerReplay.class);

    private final Vdisk owner;
    private final PointerWriter writer;
    private final DataSpace data;
    private final Allocator alloc;
    private final StoreMap map;
    private final ChangesTable table;
    private final int segmentShift;
    /** Segment to the newest effective pointer record of it (see {@link #prepareReplay}). */
    private final Map<Long, Long> superseding = new ConcurrentHashMap<>();
    /** The pointer records to install (not in the map yet, bytes intact). */
    private final Set<Long> effective = ConcurrentHashMap.newKeySet();

    PointerReplay(Vdisk owner, VdiskServices svc, PointerWriter writer, StoreMap map, ChangesTable table) {
        this.owner = owner;
        this.writer = writer;
        this.data = svc.data();
        this.alloc = svc.alloc();
        this.map = map;
        this.table = table;
        this.segmentShift = Integer.numberOfTrailingZeros(svc.segmentSize());
    }

    /**
     * Re-applies pointer record {@code seq} at open: only if the recovered map predates it (the catalog's last pointer
     * is older) and the new segment holds the bytes the record's CRC names (else the data never reached the disk, and
     * no flush covered the write). Older records of the segment, replayed into the changes table, are dropped: the new
     * segment was built after they were destaged. The entry the recovered map has is released, whatever it is.
     */
    void replay(long seq, long offset, ByteBuffer payload) {
        long seg = offset >>> segmentShift;
        if (seq <= writer.lastSeq() || !effective.contains(seq)) {
            return; // in the map already, or not effective (see prepareReplay)
        }
        long vbn = payload.duplicate()
                .order(ByteOrder.LITTLE_ENDIAN)
                .getLong(payload.position() + JournalRecord.POINTER_VBN_OFFSET);
        table.dropSegment(seg); // nothing older should be there (its pieces were skipped); to be sure
        map.lock().writeLock().lock();
        try {
            if (!alloc.claim(vbn)) {
                throw new CorruptMetadataException("journal record " + seq + " of vdisk " + owner.name()
                        + " points segment " + seg + " at " + vbn + ", which the pool's maps already use; run"
                        + " 'vdisk check'");
            }
            long w0 = map.tree().lookup(seg);
            writer.install(seg, w0, vbn, seq, 0);
        } finally {
            map.lock().writeLock().unlock();
        }
    }

    /**
     * Before replay, for each pointer record to replay: notes it as effective if the recovered map holds it already
     * (not newer than the catalog's last pointer) or its new segment holds the bytes its CRC names (else the bytes
     * never reached the disk, so no flush covered that write, nor any later one: each fsyncs the data space first).
     * Older records' pieces in a segment an effective pointer rewrote are then skipped ({@link #supersedes}): the new
     * segment holds them, and replaying them over it (or over the map that holds it) would undo the pointer's write.
     */
    void prepareReplay(long seq, long offset, ByteBuffer payload) {
        if (owner.isDeleted() || offset >= map.size()) {
            return;
        }
        long seg = offset >>> segmentShift;
        int at = payload.position();
        ByteBuffer p = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long vbn = p.getLong(at + JournalRecord.POINTER_VBN_OFFSET);
        int crc = p.getInt(at + JournalRecord.POINTER_CRC_OFFSET);
        if (!alloc.isDataVbn(vbn)) {
            throw new CorruptMetadataException("journal record " + seq + " of vdisk " + owner.name()
                    + " points segment " + seg + " at " + vbn + ", outside the pool's data; run 'vdisk check'");
        }
        if (seq > writer.lastSeq()) {
            ByteBuffer buf = writer.staging();
            data.readFully(buf.duplicate(), vbn << segmentShift);
            CRC32C c = new CRC32C();
            c.update(writer.whole(buf));
            if ((int) c.getValue() != crc) {
                LOG.info(
                        "vdisk {}: pointer record {} (segment {}) not replayed: its data never reached the disk, so"
                                + " no flush covered that write",
                        owner.name(),
                        seq,
                        seg);
                return;
            }
        }
        superseding.merge(seg, seq, Math::max);
        effective.add(seq);
    }

    /** Whether an effective pointer record newer than {@code seq} rewrote segment {@code seg} (replay only). */
    boolean supersedes(long seg, long seq) {
        if (superseding.isEmpty()) {
            return false;
        }
        Long p = superseding.get(seg);
        return p != null && p > seq;
    }

    /** Whether any pointer record supersedes older records (replay only). */
    boolean supersedesAny() {
        return !superseding.isEmpty();
    }

    /** The replay ended. */
    void endReplay() {
        superseding.clear();
        effective.clear();
    }
}
