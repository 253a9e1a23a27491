package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.journal.Journal;
import dev.vdisk.engine.journal.JournalRecord;
import dev.vdisk.engine.map.StoreMap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;

/**
 * Write anywhere: the first write to a hole or a zero segment lands
 * once, in a newly allocated segment, and only a pointer record goes through the journal
 * (docs/architecture/write-path.md, "Write anywhere"). The new segment is written whole: zeros overlaid with the
 * write. Vdisks with a backing snapshot (clones before their split) keep the journal path. Then, under the map's write lock, the
 * pointer is appended and the map entry set, so a consistency point sees both or neither. A flush fsyncs the data
 * space before the journal, and replay checks the segment's CRC, so a pointer that reached the disk without its data
 * is never installed. Lock order as {@link Vdisk}'s: operation lock, segment gate, map lock, journal.
 */
final class PointerWriter {
    private static final ThreadLocal<ByteBuffer> STAGING = new ThreadLocal<>();

    private final Vdisk owner;
    private final DataSpace data;
    private final Allocator alloc;
    private final Journal journal;
    private final Zeros zeros;
    private final PointerHolds holds;
    private final boolean enabled;
    private final StoreMap map;
    private final ChangesTable table;
    private final TouchedSegments touched;
    private final ChangeSet changes;
    private final SegmentGates gates;
    private final ChainReader chain;
    private final ReentrantReadWriteLock opLock;
    private final int segmentSize;
    private final int segmentShift;
    /**
     * The last pointer record applied to the map (-1: none), written with the map entry under the map's write lock and
     * recorded in the catalog with the map: replay applies a pointer record only if it is newer.
     */
    private volatile long lastSeq;
    /** Segment pieces written anywhere so far. */
    private final LongAdder writes = new LongAdder();

    PointerWriter(
            Vdisk owner,
            VdiskServices svc,
            StoreMap map,
            ChangesTable table,
            TouchedSegments touched,
            ChangeSet changes,
            SegmentGates gates,
            ChainReader chain,
            ReentrantReadWriteLock opLock,
            long lastSeq) {
        this.owner = owner;
        this.lastSeq = lastSeq;
        this.data = svc.data();
        this.alloc = svc.alloc();
        this.journal = svc.journal();
        this.zeros = svc.zeros();
        this.holds = svc.holds();
        this.enabled = svc.writeAnywhere();
        this.map = map;
        this.table = table;
        this.touched = touched;
        this.changes = changes;
        this.gates = gates;
        this.chain = chain;
        this.opLock = opLock;
        this.segmentSize = svc.segmentSize();
        this.segmentShift = Integer.numberOfTrailingZeros(segmentSize);
    }

    /**
     * Writes {@code src}'s remaining bytes (within segment {@code seg}, position unchanged) into a new segment when
     * {@code seg} has no changes-table entry and is a hole or a zero entry. False, having changed
     * nothing, otherwise (or when space is short: the journal path then frees space or reports it).
     */
    boolean tryWrite(long seg, int inSeg, ByteBuffer src) {
        if (!enabled || src.remaining() != segmentSize || table.contains(seg)) {
            // whole segments only: a partial write would cost a segment-sized write on the caller's thread (the 4 KiB
            // fresh-write bench fell from 0.75x to 0.25x of qemu-img); the journal absorbs those and the destager
            // writes the segment once in the background
            return false;
        }
        if (table.contains(seg)) {
            return false;
        }
        opLock.readLock().lock();
        try {
            owner.checkLive();
            ReentrantReadWriteLock.WriteLock gate = gates.exclusive(SegmentGates.of(seg));
            gate.lock(); // no entry for seg appears and no in-place write runs meanwhile
            try {
                return table.contains(seg) ? false : writeLocked(seg, inSeg, src);
            } finally {
                gate.unlock();
            }
        } finally {
            opLock.readLock().unlock();
        }
    }

    private boolean writeLocked(long seg, int inSeg, ByteBuffer src) {
        long w0;
        map.lock().readLock().lock();
        try {
            w0 = map.tree().lookup(seg);
            if (map.backing() != null) {
                // a clone's hole reads its backing: a COPY split's run fills such holes, assuming (under
                // Pool.destageLock) that only itself changes them; these take the journal until the split is done
                return false;
            }
            if (!MapEntry.isZero(w0) && !MapEntry.isHole(w0)) {
                // mapped: owned ones go in place or through the journal; shared ones (the first write after a
                // snapshot) too for now: pointers there kept InPlaceWriteTest's snapshot-heavy run off in-place writes
                return false;
            }
        } finally {
            map.lock().readLock().unlock();
        }
        int reservation = 1 + map.tree().height();
        if (!alloc.tryReserve(reservation)) {
            return false;
        }
        long vbn = 0;
        holds.writing().lock(); // the check sees this segment mapped or not counted, never in between
        try {
            ByteBuffer buf = staging();
            buildSegment(seg, w0, buf);
            buf.put(inSeg, src, src.position(), src.remaining());
            CRC32C crc = new CRC32C();
            crc.update(whole(buf));
            vbn = alloc.allocate(true, segmentSize);
            reservation--;
            data.writeFully(whole(buf), vbn << segmentShift);
            ByteBuffer payload = ByteBuffer.allocate(JournalRecord.POINTER_PAYLOAD)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(JournalRecord.POINTER_VBN_OFFSET, vbn)
                    .putLong(JournalRecord.POINTER_OLD_OFFSET, w0)
                    .putInt(JournalRecord.POINTER_CRC_OFFSET, (int) crc.getValue());
            map.lock().writeLock().lock();
            try {
                if (map.tree().lookup(seg) != w0) {
                    return false; // a split filled the hole meanwhile: the journal path merges with it
                }
                long seq = journal.append(
                        owner.id(), seg << segmentShift, segmentSize, JournalRecord.TYPE_POINTER, payload);
                reservation = install(seg, w0, vbn, seq, reservation);
                vbn = 0; // the map owns it now
            } finally {
                map.lock().writeLock().unlock();
            }
            writes.increment();
            return true;
        } finally {
            if (vbn != 0) {
                alloc.decref(vbn); // not installed: it was never named, so it is pending as any freed segment
            }
            holds.writing().unlock();
            alloc.unreserve(reservation);
        }
    }

    /**
     * Sets {@code seg} to {@code vbn} (it was {@code w0}) for pointer record {@code seq}, at run time and in replay:
     * names the new segment in the holds, drops the old reference, marks the segment changed and touched, and records
     * {@code seq} as the vdisk's last pointer (the catalog carries it). Returns the reservation left. Holds the map's
     * write lock.
     */
    int install(long seg, long w0, long vbn, long seq, int reservation) {
        holds.name(vbn, seq);
        lastSeq = seq;
        map.tree().set(seg, MapEntry.mapped(vbn), (int) owner.epoch(), alloc);
        int created = map.tree().lastCreated();
        int fromReservation = Math.min(created, reservation);
        alloc.nodesCreated(created, fromReservation);
        if (MapEntry.isMapped(w0)) {
            alloc.decref(MapEntry.vbn(w0));
        }
        changes.mark(seg);
        touched.mark(seg); // never in place while this record is replayable
        return reservation - fromReservation;
    }

    /** The old content of {@code seg} (entry {@code w0}) into {@code buf}, whole. */
    private void buildSegment(long seg, long w0, ByteBuffer buf) {
        whole(buf);
        if (MapEntry.isZero(w0) || (MapEntry.isHole(w0) && map.backing() == null)) {
            zeros.fill(buf.duplicate(), segmentSize);
        } else {
            chain.read(map, seg, 0, buf.duplicate()); // a clone's hole: its backing chain's content
        }
    }

    /** The last pointer record applied to the map, -1 if none (the catalog records it). */
    long lastSeq() {
        return lastSeq;
    }

    ByteBuffer whole(ByteBuffer buf) {
        return buf.position(0).limit(segmentSize);
    }

    ByteBuffer staging() {
        ByteBuffer b = STAGING.get();
        if (b == null || b.capacity() < segmentSize) {
            b = ByteBuffer.allocateDirect(segmentSize);
            STAGING.set(b);
        }
        return whole(b);
    }

    /** Segment pieces written anywhere so far (tests, metrics). */
    long writes() {
        return writes.sum();
    }
}
