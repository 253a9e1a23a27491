package dev.vdisk.engine;

import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.split.SplitCursor;
import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitProgress;
import dev.vdisk.engine.split.SplitTask;
import dev.vdisk.engine.split.Splits;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pool's splits by vdisk name: finds the clone in the catalog and hands it to {@link Splits} (package {@code split},
 * which knows clones only as {@link dev.vdisk.engine.split.SplitClone}s). Starts hold {@code Pool.cpLock}, after
 * COPY's space count taken without it.
 */
final class VdiskSplits {
    private final ReentrantLock cpLock;
    private final VdiskCatalog catalog;
    private final Splits splits;
    private final PoolHooks pool;

    VdiskSplits(ReentrantLock cpLock, VdiskCatalog catalog, Splits splits, PoolHooks pool) {
        this.cpLock = cpLock;
        this.catalog = catalog;
        this.splits = splits;
        this.pool = pool;
    }

    SplitTask split(String cloneName, SplitMode mode, SplitOptions options) {
        long toFill = mode == SplitMode.COPY ? copyToFill(cloneName) : 0;
        cpLock.lock();
        try {
            pool.checkOpen();
            if (catalog.snapshotOrNull(cloneName) != null) {
                throw new InvalidRangeException("snapshot " + cloneName + " cannot be split: only a clone (a vdisk"
                        + " reading through a backing snapshot) has a backing store to split off");
            }
            return splits.start(new VdiskSplitClone(catalog.vdisk(cloneName)), mode, options, toFill);
        } finally {
            cpLock.unlock();
        }
    }

    /**
     * COPY's count of segments still to copy, a walk proportional to the clone: taken before cpLock, under the
     * clone's operation lock (shared: writes go on; deletion and a split's release wait), see
     * {@link Splits#segmentsToFill}. 0 for a name that is no vdisk: the locked part reports that.
     */
    private long copyToFill(String cloneName) {
        Vdisk v = catalog.vdiskOrNull(cloneName);
        if (v == null) {
            return 0;
        }
        v.opLock().readLock().lock();
        try {
            return v.isDeleted() ? 0 : splits.segmentsToFill(new VdiskSplitClone(v));
        } finally {
            v.opLock().readLock().unlock();
        }
    }

    Optional<SplitTask> task(String name) {
        pool.checkOpen();
        Vdisk v = catalog.vdiskOrNull(name);
        return v == null ? Optional.empty() : splits.task(v.id());
    }

    /** Running, finished and recorded splits, by vdisk name. */
    List<SplitProgress> progress() {
        pool.checkOpen();
        List<SplitProgress> out = new ArrayList<>();
        for (Vdisk v : catalog.vdisks()) {
            splits.progress(new VdiskSplitClone(v)).ifPresent(out::add);
        }
        out.sort(Comparator.comparing(SplitProgress::vdiskName));
        return out;
    }

    /** Restarts every split recorded RUNNING from its persisted cursor, with its persisted options. */
    List<SplitTask> resume() {
        pool.checkOpen();
        List<SplitTask> out = new ArrayList<>();
        for (Vdisk v : new ArrayList<>(catalog.vdisks())) {
            SplitCursor r = v.split();
            if (r != null && r.state() == SplitCursor.State.RUNNING) {
                out.add(split(v.name(), r.mode(), r.options()));
            }
        }
        return out;
    }

    /** Stops every task of this process (close, abandon); their records stay RUNNING. */
    void stopAll() {
        splits.stopAll();
    }
}
