package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.split.SplitClone;
import dev.vdisk.engine.split.SplitHost;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool as its splits see it (see {@link SplitHost}): the services a fill uses, the pool's consistency points,
 * and the release, which changes the catalog under the pool's locks.
 */
final class PoolSplitHost implements SplitHost {
    private static final Logger LOG = LoggerFactory.getLogger(PoolSplitHost.class);

    private final VdiskServices services;
    private final long checkpointIntervalMillis;
    private final PointTriggers triggers;
    private final ReentrantLock cpLock;
    private final ReentrantLock destageLock;
    private final VdiskCatalog catalog;
    private final Snapshots snapshots;

    PoolSplitHost(
            VdiskServices services,
            long checkpointIntervalMillis,
            PointTriggers triggers,
            ReentrantLock cpLock,
            ReentrantLock destageLock,
            VdiskCatalog catalog,
            Snapshots snapshots) {
        this.services = services;
        this.checkpointIntervalMillis = checkpointIntervalMillis;
        this.triggers = triggers;
        this.cpLock = cpLock;
        this.destageLock = destageLock;
        this.catalog = catalog;
        this.snapshots = snapshots;
    }

    @Override
    public int segmentSize() {
        return services.segmentSize();
    }

    @Override
    public Allocator allocator() {
        return services.alloc();
    }

    @Override
    public DataSpace data() {
        return services.data();
    }

    @Override
    public ReentrantLock destageLock() {
        return destageLock;
    }

    @Override
    public void checkOpen() {
        triggers.checkOpen();
    }

    @Override
    public long checkpointIntervalMillis() {
        return checkpointIntervalMillis;
    }

    @Override
    public long foregroundOps() {
        return triggers.foregroundOps();
    }

    @Override
    public void checkpoint(String why) {
        triggers.checkpoint(why);
    }

    @Override
    public boolean checkpointToFreeSpace() {
        return triggers.checkpointToFreeSpace();
    }

    /**
     * Step 5 of the split protocol (under cpLock and destageLock,
     * the clone's operation lock only for the flip): if no hole of the clone reads data through its chain
     * ({@code firstHoleReadingData}), clears its backing,
     * frees a hidden former backing that lost its last dependent, drops the split record and takes a consistency
     * point; returns -1. Otherwise returns the first such hole and changes nothing.
     */
    @Override
    public long release(SplitClone c, LongSupplier firstHoleReadingData) {
        Vdisk clone = ((VdiskSplitClone) c).vdisk();
        cpLock.lock();
        try {
            triggers.checkOpen();
            Vdisk former;
            destageLock.lock();
            try {
                // Holes never come back and maps change only under destageLock (held), so the scan needs no
                // operation lock: writes go on during it. Only the flip itself excludes them.
                long hole = firstHoleReadingData.getAsLong();
                if (hole >= 0) {
                    LOG.warn(
                            "split of vdisk {}: segment {} still reads the backing; filling again", clone.name(), hole);
                    return hole;
                }
                clone.opLock().writeLock().lock();
                try {
                    former = clone.backing();
                    long family = SnapshotChain.family(clone);
                    clone.map().lock().writeLock().lock();
                    try {
                        clone.setOriginFamily(family);
                        clone.unlinkBacking();
                        clone.setSplit(null);
                    } finally {
                        clone.map().lock().writeLock().unlock();
                    }
                } finally {
                    clone.opLock().writeLock().unlock();
                }
                if (former != null
                        && former.hidden()
                        && catalog.isLive(former)
                        && SnapshotChain.dependents(catalog.all(), former).isEmpty()) {
                    LOG.info(
                            "freeing hidden snapshot {} (id {}): split vdisk {} was its last dependent",
                            former.name(),
                            former.id(),
                            clone.name());
                    snapshots.releaseLocked(former);
                }
                triggers.takeLocked("split " + clone.name() + " release"); // as in delete
            } finally {
                destageLock.unlock();
            }
            LOG.info(
                    "split of vdisk {} released its backing snapshot {}",
                    clone.name(),
                    former == null ? "(none)" : former.name());
            return -1;
        } finally {
            cpLock.unlock();
        }
    }
}
