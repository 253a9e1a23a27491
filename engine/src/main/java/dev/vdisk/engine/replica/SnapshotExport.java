package dev.vdisk.engine.replica;

import dev.vdisk.engine.error.InvalidRangeException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The source side of a replication: the chunks a replica needs to become {@code snap}, from a byte offset (the
 * replica's cursor). A seed ({@code baseSnap} null) sends the snapshot's in-use extents; a delta only what changed
 * since {@code baseSnap}. In-use data that is all zeros travels as a zero chunk (no payload), and holes do not travel
 * at all. Extents are cut into chunks of at most {@code chunkBytes}, each read from the snapshot and checksummed as
 * it is consumed.
 *
 * <p>A delta's changed extents are whole segments (the change index's granularity) although a write may have changed
 * one {@value #BLOCK} byte block of one: each chunk is also read from the base and compared block by block, and only
 * the blocks that differ travel as data (or zeros); runs of equal blocks go as unchanged extents without payload, so
 * the bytes sent are the bytes changed and progress still counts every byte covered. Costs one more read of the
 * changed segments on the source.
 *
 * <p>Not thread-safe (one consumer: a stream's sender).
 */
public final class SnapshotExport implements Iterator<ExtentChunk> {
    /** Granularity of a delta's comparison with its base. */
    static final int BLOCK = 4096;

    private final ReplicaHost pool;
    private final String baseSnap;
    private final String snap;
    private final Iterator<SourceExtent> extents;
    private final int chunkBytes;
    private final ByteBuffer buffer;
    /** The base's bytes of the chunk in {@code buffer} (deltas only). */
    private final ByteBuffer baseBuffer;
    /** The base's size: a delta may follow a resize, and the base has no bytes past it. */
    private final long baseSize;
    /** Chunks cut from one compared read, handed out before the next read. */
    private final ArrayDeque<ExtentChunk> ready = new ArrayDeque<>();

    private SourceExtent current;
    private long position;

    public SnapshotExport(ReplicaHost pool, String baseSnap, String snap, long fromOffset, int chunkBytes) {
        if (chunkBytes < 4096 || chunkBytes % 4096 != 0) {
            throw new InvalidRangeException("chunk of " + chunkBytes + " bytes: use a multiple of 4 KiB");
        }
        this.pool = pool;
        this.baseSnap = baseSnap;
        this.snap = snap;
        this.extents = pool.extents(baseSnap, snap, fromOffset);
        this.chunkBytes = chunkBytes;
        this.buffer = ByteBuffer.allocateDirect(chunkBytes);
        this.baseBuffer = baseSnap == null ? null : ByteBuffer.allocateDirect(chunkBytes);
        this.baseSize = baseSnap == null ? 0 : pool.snapshotSize(baseSnap);
    }

    /**
     * Bytes of {@code snap} that an export from {@code fromOffset} covers (data and zeros): the denominator of a
     * progress percentage. A pass over the metadata only.
     */
    public static long coveredBytes(ReplicaHost pool, String baseSnap, String snap, long fromOffset) {
        long sum = 0;
        for (Iterator<SourceExtent> it = pool.extents(baseSnap, snap, fromOffset); it.hasNext(); ) {
            sum += it.next().length();
        }
        return sum;
    }

    @Override
    public boolean hasNext() {
        if (!ready.isEmpty()) {
            return true;
        }
        if (current != null && position < current.end()) {
            return true;
        }
        if (!extents.hasNext()) {
            return false;
        }
        current = extents.next();
        position = current.offset();
        return true;
    }

    @Override
    public ExtentChunk next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        if (!ready.isEmpty()) {
            return ready.poll();
        }
        if (current.zero()) {
            ExtentChunk z = ExtentChunk.ofZeros(position, current.end() - position);
            position = current.end();
            return z;
        }
        int n = (int) Math.min(chunkBytes, current.end() - position);
        buffer.clear().limit(n);
        int got = pool.readSnapshot(snap, position, buffer);
        if (got != n) {
            throw new InvalidRangeException("snapshot " + snap + " ended at " + (position + got) + " inside an extent");
        }
        buffer.flip();
        long at = position;
        position += n;
        if (baseBuffer != null) {
            compareWithBase(at, n);
            return ready.poll();
        }
        if (allZero(buffer)) {
            return ExtentChunk.ofZeros(at, n);
        }
        return ExtentChunk.ofData(at, copy(buffer));
    }

    /**
     * Cuts the chunk in {@code buffer} ({@code n} bytes at {@code at}) into runs of blocks that equal the base's
     * (unchanged), that are zeros, and that carry data, and queues them. Bytes past the base's end differ.
     */
    private void compareWithBase(long at, int n) {
        baseBuffer.clear().limit((int) Math.max(0, Math.min(n, baseSize - at)));
        int got = baseBuffer.hasRemaining() ? pool.readSnapshot(baseSnap, at, baseBuffer) : 0;
        Run run = null;
        int runStart = 0;
        for (int i = 0; i < n; i += BLOCK) {
            int end = Math.min(n, i + BLOCK);
            Run kind = end <= got && equal(buffer, baseBuffer, i, end)
                    ? Run.UNCHANGED
                    : allZero(buffer.duplicate().position(i).limit(end)) ? Run.ZEROS : Run.DATA;
            if (kind != run) {
                if (run != null) {
                    ready.add(cut(run, at, runStart, i));
                }
                run = kind;
                runStart = i;
            }
        }
        ready.add(cut(run, at, runStart, n));
    }

    private ExtentChunk cut(Run run, long at, int from, int to) {
        return switch (run) {
            case UNCHANGED -> ExtentChunk.ofUnchanged(at + from, to - from);
            case ZEROS -> ExtentChunk.ofZeros(at + from, to - from);
            case DATA ->
                ExtentChunk.ofData(
                        at + from, copy(buffer.duplicate().position(from).limit(to)));
        };
    }

    private enum Run {
        UNCHANGED,
        ZEROS,
        DATA
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer copy = ByteBuffer.allocate(b.remaining());
        copy.put(b.duplicate()).flip();
        return copy;
    }

    private static boolean equal(ByteBuffer a, ByteBuffer b, int from, int to) {
        return a.duplicate()
                .position(from)
                .limit(to)
                .equals(b.duplicate().position(from).limit(to));
    }

    static boolean allZero(ByteBuffer b) {
        int i = b.position();
        int end = b.limit();
        for (; i + 8 <= end; i += 8) {
            if (b.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
