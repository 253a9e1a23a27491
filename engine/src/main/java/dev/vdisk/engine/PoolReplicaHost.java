package dev.vdisk.engine;

import dev.vdisk.engine.error.VdiskNotFoundException;
import dev.vdisk.engine.replica.ReplicaHost;
import dev.vdisk.engine.replica.SourceExtent;
import java.nio.ByteBuffer;
import java.util.Iterator;

/** A pool as replication sees it (see {@link ReplicaHost}): its public operations by name, nothing more. */
public final class PoolReplicaHost implements ReplicaHost {
    private final Pool pool;

    private PoolReplicaHost(Pool pool) {
        this.pool = pool;
    }

    public static ReplicaHost of(Pool pool) {
        return new PoolReplicaHost(pool);
    }

    @Override
    public Iterator<SourceExtent> extents(String baseSnap, String snap, long fromOffset) {
        ExtentScan scan = baseSnap == null
                ? pool.extents().allocated(snap, fromOffset)
                : pool.extents().delta(baseSnap, snap, fromOffset);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return scan.hasNext();
            }

            @Override
            public SourceExtent next() {
                Extent e = scan.next();
                return new SourceExtent(e.offset(), e.length(), e.kind() == Extent.Kind.DEALLOCATED);
            }
        };
    }

    @Override
    public long snapshotSize(String snap) {
        return pool.snapshots().info(snap).sizeBytes();
    }

    @Override
    public boolean hasSnapshot(String snap) {
        try {
            pool.snapshots().info(snap);
            return true;
        } catch (VdiskNotFoundException e) {
            return false;
        }
    }

    @Override
    public int readSnapshot(String snap, long offset, ByteBuffer dst) {
        return pool.snapshots().reader(snap).read(offset, dst);
    }

    @Override
    public boolean hasVdisk(String vdisk) {
        try {
            pool.vdisks().get(vdisk);
            return true;
        } catch (VdiskNotFoundException e) {
            return false;
        }
    }

    @Override
    public long vdiskSize(String vdisk) {
        return pool.vdisks().get(vdisk).size();
    }

    @Override
    public void createVdisk(String vdisk, long sizeBytes) {
        pool.vdisks().create(vdisk, sizeBytes);
    }

    @Override
    public void growVdisk(String vdisk, long sizeBytes) {
        pool.vdisks().resize(vdisk, sizeBytes);
    }

    @Override
    public void write(String vdisk, long offset, ByteBuffer src) {
        pool.vdisks().get(vdisk).write(offset, src);
    }

    @Override
    public void discard(String vdisk, long offset, long length) {
        pool.vdisks().get(vdisk).discard(offset, length);
    }

    @Override
    public void flush(String vdisk) {
        pool.vdisks().get(vdisk).flush();
    }

    @Override
    public void snapshot(String vdisk, String snap) {
        pool.snapshots().take(vdisk, snap);
    }

    @Override
    public void delete(String name) {
        pool.vdisks().delete(name);
    }
}
