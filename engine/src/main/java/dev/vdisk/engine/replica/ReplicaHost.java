package dev.vdisk.engine.replica;

import java.nio.ByteBuffer;
import java.util.Iterator;

/**
 * What replication needs of a pool, by vdisk and snapshot names; the pool implements it ({@code PoolReplicaHost}), so
 * this package does not depend on {@code Pool}. Source side: scans and snapshot reads. Target side: the replica vdisk's
 * writes and snapshots. Every method is thread-safe as the pool is.
 */
public interface ReplicaHost {
    /**
     * Extents of {@code snap} from {@code fromOffset}, ascending: its in-use extents if {@code baseSnap} is null, else
     * what changed since {@code baseSnap} (an older snapshot of the same vdisk), computed as consumed.
     */
    Iterator<SourceExtent> extents(String baseSnap, String snap, long fromOffset);

    long snapshotSize(String snap);

    boolean hasSnapshot(String snap);

    /** Reads {@code dst.remaining()} bytes of {@code snap} at {@code offset} (fewer only at its end). */
    int readSnapshot(String snap, long offset, ByteBuffer dst);

    boolean hasVdisk(String vdisk);

    long vdiskSize(String vdisk);

    void createVdisk(String vdisk, long sizeBytes);

    void growVdisk(String vdisk, long sizeBytes);

    void write(String vdisk, long offset, ByteBuffer src);

    void discard(String vdisk, long offset, long length);

    /** Makes every write acknowledged so far durable. */
    void flush(String vdisk);

    /** Takes snapshot {@code snap} of {@code vdisk}, durable on return. */
    void snapshot(String vdisk, String snap);

    /** Deletes a vdisk or snapshot. */
    void delete(String name);
}
