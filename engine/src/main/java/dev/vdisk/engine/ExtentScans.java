package dev.vdisk.engine;

import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pool's extent queries ({@link Pool#extents()}): the in-use extents of a snapshot and the delta between two
 * snapshots of one vdisk, as {@link ExtentScan}s that compute a page at a time, each page under {@code Pool.cpLock}.
 */
public final class ExtentScans {
    private final ReentrantLock cpLock;
    private final PoolHooks pool;
    private final VdiskCatalog catalog;
    private final int segmentSize;

    ExtentScans(ReentrantLock cpLock, VdiskCatalog catalog, VdiskServices services) {
        this.cpLock = cpLock;
        this.pool = services.pool();
        this.catalog = catalog;
        this.segmentSize = services.segmentSize();
    }

    /**
     * Snapshot {@code snapName}'s in-use extents (data mapped in it or along its backing chain) from byte
     * {@code startOffset}, ascending and coalesced; computed page by page as the iterator is consumed.
     */
    public ExtentScan allocated(String snapName, long startOffset) {
        Vdisk s = catalog.snapshot(snapName);
        return new ExtentScan(cpLock, pool, catalog, segmentSize, null, s, List.of(), startOffset);
    }

    /**
     * Extents to apply to a copy of snapshot {@code baseSnap} to make it equal to {@code targetSnap} (younger, same
     * vdisk), from byte {@code startOffset}: CHANGED (read from the target) and DEALLOCATED (zero there), ascending,
     * non-overlapping; never a false negative (segments in the outer loop, snapshots base..target-1 in the inner one).
     *
     * @throws VdiskNotFoundException unknown snapshot
     * @throws InvalidRangeException snapshots of different vdisks, or target not younger than base
     */
    public ExtentScan delta(String baseSnap, String targetSnap, long startOffset) {
        cpLock.lock();
        try {
            pool.checkOpen();
            Vdisk l = catalog.snapshot(baseSnap);
            Vdisk m = catalog.snapshot(targetSnap);
            if (l.ownerId() != m.ownerId()) {
                throw new InvalidRangeException("snapshots " + baseSnap + " and " + targetSnap
                        + " are of different vdisks; a delta needs two snapshots of the same vdisk");
            }
            if (m.epoch() <= l.epoch()) {
                throw new InvalidRangeException("snapshot " + targetSnap + " is not younger than " + baseSnap
                        + "; give the older snapshot as the base");
            }
            List<Vdisk> between = SnapshotChain.snapshotsOf(catalog.all(), l.ownerId()).stream()
                    .filter(x -> x.epoch() >= l.epoch() && x.epoch() < m.epoch())
                    .toList();
            return new ExtentScan(cpLock, pool, catalog, segmentSize, l, m, between, startOffset);
        } finally {
            cpLock.unlock();
        }
    }
}
