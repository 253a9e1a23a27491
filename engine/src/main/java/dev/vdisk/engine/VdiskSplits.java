package dev.vdisk.engine;

import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.error.SplitStateException;
import dev.vdisk.engine.error.VdiskNotFoundException;
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
 * A pool's splits by vdisk name ({@link Pool#splits()}): finds the clone in the catalog and hands it to {@link Splits}
 * (package {@code split}, which knows clones only as {@link dev.vdisk.engine.split.SplitClone}s). Starts hold
 * {@code Pool.cpLock}, after COPY's space count taken without it.
 */
public final class VdiskSplits {
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

    /**
     * Starts detaching clone {@code cloneName} from its backing snapshot in the background and returns the task (see
     * {@code split.Splitter} for the algorithm and its commit protocol). The clone stays online; a user write to a hole
     * always wins over the splitter. If a split of the clone is already running, returns it; if one is recorded
     * (cancelled, paused, or running before a restart), resumes it from its persisted cursor with {@code options}.
     * A vdisk without a backing store has nothing to split: the task is DONE at once (so a retried request succeeds).
     * Returns without a consistency point: the split is durable with the next one (its task takes one within a
     * checkpoint interval of filling, and the last one at the release); a crash before it leaves the pool as if this
     * call never happened, so a caller that must not lose the request records it itself (the node agent does).
     *
     * @throws InvalidRangeException {@code cloneName} names a snapshot (INVALID_ARGUMENT)
     * @throws SplitStateException a split of the clone in the other mode is running or recorded (FAILED_PRECONDITION)
     * @throws OutOfSpaceException COPY: the data still read through the chain is more than the pool's available space
     * @throws VdiskNotFoundException no such vdisk
     */
    public SplitTask start(String cloneName, SplitMode mode, SplitOptions options) {
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

    /** The split task of vdisk {@code name} in this process (running or finished), if any. */
    public Optional<SplitTask> task(String name) {
        pool.checkOpen();
        Vdisk v = catalog.vdiskOrNull(name);
        return v == null ? Optional.empty() : splits.task(v.id());
    }

    /**
     * Splits of this pool: tasks of this process (running or finished) and splits recorded in the catalog but not
     * running (phase QUEUED for a RUNNING record not resumed yet, PAUSED, CANCELLED), by vdisk name.
     */
    public List<SplitProgress> progress() {
        pool.checkOpen();
        List<SplitProgress> out = new ArrayList<>();
        for (Vdisk v : catalog.vdisks()) {
            splits.progress(new VdiskSplitClone(v)).ifPresent(out::add);
        }
        out.sort(Comparator.comparing(SplitProgress::vdiskName));
        return out;
    }

    /**
     * Restarts every split whose record says RUNNING (interrupted by a close or a crash) from its persisted cursor,
     * with its persisted options. Not done by {@link Pool#open} itself: the pool's owner (the node agent, or the
     * command line's split verb) decides when background relocation may start; offline tools that only look at the
     * pool ({@code vdisk ls}, {@code check}) never move data. PAUSED and CANCELLED splits wait for a {@link #start}.
     */
    public List<SplitTask> resume() {
        pool.checkOpen();
        List<SplitTask> out = new ArrayList<>();
        for (Vdisk v : new ArrayList<>(catalog.vdisks())) {
            SplitCursor r = v.split();
            if (r != null && r.state() == SplitCursor.State.RUNNING) {
                out.add(start(v.name(), r.mode(), r.options()));
            }
        }
        return out;
    }

    /** Stops every task of this process (close, abandon); their records stay RUNNING. */
    void stopAll() {
        splits.stopAll();
    }
}
