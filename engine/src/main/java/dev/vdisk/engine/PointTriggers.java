package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.journal.Journal;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * When a pool takes its consistency points ({@link ConsistencyPoints} takes them): on request, when due (the
 * checkpointer's tick), when dirty map blocks pass their bound (the destager between segments, the checkpointer at its
 * tick for blocks writers dirtied), to free space for a writer whose reservation failed, and as backpressure when the journal
 * is beyond its hard limit. Takes {@code Pool.cpLock} around each point, {@code Pool.destageLock} only to drain.
 * Its vdisks see it as their {@link PoolHooks}: those decisions, the closed check and the foreground I/O count.
 */
final class PointTriggers implements PoolHooks {
    private final PoolOptions options;
    private final ReentrantLock cpLock;
    private final ReentrantLock destageLock;
    private final VdiskCatalog catalog;
    private final ConsistencyPoints points;
    private final Allocator alloc;
    private final Destager destager;
    /** The pool's closed flag: no point is due once it is set. */
    private final BooleanSupplier closed;
    /** The pool's check that throws once it is closed. */
    private final Runnable checkOpen;
    /** Foreground I/O operations (reads, writes, discards) of all vdisks: idle-only splits watch its rate. */
    private final LongAdder foregroundOps = new LongAdder();

    private volatile LongSupplier mapDirtyBytes = () -> 0;
    /** Set once, when the pool's journal opens (before any writer or checkpointer runs). */
    private volatile Journal journal;

    PointTriggers(
            PoolOptions options,
            ReentrantLock cpLock,
            ReentrantLock destageLock,
            VdiskCatalog catalog,
            ConsistencyPoints points,
            Allocator alloc,
            Destager destager,
            BooleanSupplier closed,
            Runnable checkOpen) {
        this.options = options;
        this.cpLock = cpLock;
        this.destageLock = destageLock;
        this.catalog = catalog;
        this.points = points;
        this.alloc = alloc;
        this.destager = destager;
        this.closed = closed;
        this.checkOpen = checkOpen;
    }

    /** The maps' dirty bytes, which the checkpointer's tick also watches (set once, at construction). */
    void watchMapDirtyBytes(LongSupplier bytes) {
        mapDirtyBytes = bytes;
    }

    void attach(Journal j) {
        journal = j;
    }

    @Override
    public void checkOpen() {
        checkOpen.run();
    }

    @Override
    public void noteForegroundIo() {
        foregroundOps.increment();
    }

    long foregroundOps() {
        return foregroundOps.sum();
    }

    /** Takes a point now, for {@code why} (logged). */
    void checkpoint(String why) {
        cpLock.lock();
        try {
            checkOpen.run();
            takeLocked(why);
        } finally {
            cpLock.unlock();
        }
    }

    @GuardedBy("Pool.cpLock")
    void takeLocked(String why) {
        points.takeLocked(why, catalog.all(), catalog.nextId());
    }

    /** Destages every dirty segment now, then takes a point. */
    void drain() {
        cpLock.lock();
        try {
            checkOpen.run();
            drainLocked("drain");
        } finally {
            cpLock.unlock();
        }
    }

    /** {@link #drain} with {@code Pool.cpLock} held (close: after the destager stopped). */
    @GuardedBy("Pool.cpLock")
    void drainLocked(String why) {
        destageLock.lock();
        try {
            destager.drainAllWithoutLocking(catalog.all());
        } finally {
            destageLock.unlock();
        }
        takeLocked(why);
    }

    @Override
    public boolean inPlaceAllowed() {
        return points.inPlaceAllowed();
    }

    /** Called by the checkpointer after each destage round and every tick: checkpoint when due (timer, journal size, pending frees). */
    void maybeCheckpoint() {
        String why = points.due();
        if (why == null && mapDirtyBytes.getAsLong() > options.mapDirtyLimitBytes()) {
            why = "map dirty limit"; // set by writers (write anywhere installs pointers), not the destager
        }
        if (why != null) {
            checkpointIfFree(why);
        }
    }

    /**
     * Takes a point for {@code why} unless the pool is closed or another thread holds {@code Pool.cpLock} (taking a
     * point, or a metadata change that ends with one). Never waits for the lock: the destager calls it when dirty map
     * blocks pass their bound, and a snapshot holding cpLock may be waiting for writers that wait for the destager.
     */
    void checkpointIfFree(String why) {
        if (!closed.getAsBoolean() && cpLock.tryLock()) {
            try {
                if (!closed.getAsBoolean()) {
                    takeLocked(why);
                }
            } finally {
                cpLock.unlock();
            }
        }
    }

    /**
     * Called by a writer (holding no lock) whose reservation failed: destages everything (turning over-sized
     * reservations into real allocations and returning the rest) and takes a consistency point, so that segments freed
     * earlier move towards reuse. Returns false if nothing is reserved or pending (retrying would not help).
     */
    @Override
    public boolean checkpointToFreeSpace() {
        Allocator.Usage u = alloc.usage();
        if (u.pending() == 0 && u.reserved() == 0) {
            return false;
        }
        drain();
        return true;
    }

    /** Backpressure on the journal: a writer waits while it is beyond the hard limit. */
    @Override
    public void throttle() {
        for (int i = 0; i < 1000 && journal.liveBytes() > options.journalHardLimitBytes(); i++) {
            destager.wake(true);
            checkpoint("journal backpressure");
            if (journal.liveBytes() > options.journalHardLimitBytes()) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
