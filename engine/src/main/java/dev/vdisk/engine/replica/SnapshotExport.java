package dev.vdisk.engine.replica;

import dev.vdisk.engine.error.InvalidRangeException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The source side of a replication: the chunks a replica needs to become {@code snap}, from a byte offset (the
 * replica's cursor). A seed ({@code baseSnap} null) sends the snapshot's in-use extents; a delta only what changed
 * since {@code baseSnap}. In-use data that is all zeros travels as a zero chunk (no payload), and holes do not travel
 * at all. Extents are cut into chunks of at most {@code chunkBytes}, each read from the snapshot and checksummed as
 * it is consumed. Not thread-safe (one consumer: a stream's sender).
 */
public final class SnapshotExport implements Iterator<ExtentChunk> {
    private final ReplicaHost pool;
    private final String snap;
    private final Iterator<SourceExtent> extents;
    private final int chunkBytes;
    private final ByteBuffer buffer;
    private SourceExtent current;
    private long position;

    public SnapshotExport(ReplicaHost pool, String baseSnap, String snap, long fromOffset, int chunkBytes) {
        if (chunkBytes < 4096 || chunkBytes % 4096 != 0) {
            throw new InvalidRangeException("chunk of " + chunkBytes + " bytes: use a multiple of 4 KiB");
        }
        this.pool = pool;
        this.snap = snap;
        this.extents = pool.extents(baseSnap, snap, fromOffset);
        this.chunkBytes = chunkBytes;
        this.buffer = ByteBuffer.allocateDirect(chunkBytes);
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
        if (allZero(buffer)) {
            return ExtentChunk.ofZeros(at, n);
        }
        ByteBuffer copy = ByteBuffer.allocate(n);
        copy.put(buffer).flip();
        return ExtentChunk.ofData(at, copy);
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
