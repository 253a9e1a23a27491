package dev.vdisk.engine;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.map.NodeCache;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one background thread that applies dirty segments to the pool (consistency points are the {@link Checkpointer}'s,
 * started and stopped with it, and woken after each round). It waits
 * a short batching delay after the first dirty segment (so that neighbouring small writes land in one destage) unless
 * the changes table is under pressure, then drains everything queued. Between two segments it takes a consistency point
 * itself when the maps' dirty blocks pass {@link PoolOptions#mapDirtyLimitBytes()} (a burst of writes to many
 * indirect blocks would otherwise pin them all on the heap until the next timed point).
 */
final class Destager extends BackgroundLoop {
    private final Pool pool;
    private final ConcurrentLinkedQueue<DirtySegment> queue = new ConcurrentLinkedQueue<>();
    /** Size of {@link #queue} ({@code ConcurrentLinkedQueue.size()} walks the whole queue). */
    private final AtomicInteger queued = new AtomicInteger();
    /** Owned by the destager thread (and by whoever holds Pool.destageLock for a synchronous drain). */
    @GuardedBy("Pool.destageLock")
    private final ByteBuffer staging;
    /** Written under {@link #lock}; read without it to skip redundant wake-ups on the write path. */
    @GuardedBy("lock")
    private volatile boolean urgent;

    private final NodeCache maps;
    private final long mapDirtyLimit;
    private final JournalSyncer syncer;
    private final Checkpointer checkpointer;

    Destager(Pool pool, int segmentSize, NodeCache maps) {
        super("destager", pool.dir(), 1000);
        this.pool = pool;
        this.maps = maps;
        this.mapDirtyLimit = pool.options().mapDirtyLimitBytes();
        this.staging = ByteBuffer.allocateDirect(segmentSize);
        this.syncer = new JournalSyncer(pool);
        this.checkpointer = new Checkpointer(pool);
    }

    @Override
    void start(String poolName) {
        super.start(poolName);
        syncer.start(poolName);
        checkpointer.start(poolName);
    }

    void enqueue(DirtySegment ds) {
        queue.add(ds);
        if (queued.incrementAndGet() == 1) {
            wake(false);
        }
    }

    /** Wakes the thread; {@code now} skips the batching delay (memory pressure, consistency point wanted). */
    void wake(boolean now) {
        if (now && urgent) {
            return;
        }
        lock.lock();
        try {
            urgent |= now;
            signal.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int queued() {
        return queued.get();
    }

    @Override
    protected void awaitWorkLocked() throws InterruptedException {
        PoolOptions o = pool.options();
        if (queue.isEmpty() && !urgent) {
            signal.awaitNanos(tickNanos(o));
        }
        if (!queue.isEmpty() && !urgent && o.destageDelayMillis() > 0) {
            signal.awaitNanos(TimeUnit.MILLISECONDS.toNanos(o.destageDelayMillis()));
        }
        urgent = false;
    }

    @Override
    protected void round() {
        drainOnce();
        checkpointer.wake();
    }

    /**
     * Destages what is queued now (not what arrives meanwhile). Segments whose newest journal record is not durable
     * yet go back to the queue and the syncer is asked for an fsync, so fsyncs overlap with destaging; only when a whole
     * round made no progress does the destager wait for an fsync (it used to wait, usually leading the fsync itself,
     * as soon as half the round was skipped, while durable segments queued behind).
     */
    void drainOnce() {
        int n = queued.get();
        long appended = pool.journal().lastSeq();
        int polled = 0;
        int skipped = 0;
        for (int i = 0; i < n && !stopping(); i++) {
            DirtySegment ds = queue.poll();
            if (ds == null) {
                break;
            }
            polled++;
            queued.decrementAndGet();
            boolean done;
            pool.destageLock().lock();
            try {
                pool.checkOpenForDestage();
                done = ds.vdisk.parts().destage().destage(ds, staging, false);
            } finally {
                pool.destageLock().unlock();
            }
            if (!done) {
                skipped++;
                queue.add(ds);
                queued.incrementAndGet();
                syncer.request();
            } else if (maps.dirtyBytes() > mapDirtyLimit) {
                pool.checkpointIfFree("map dirty limit");
            }
        }
        if (skipped > 0 && skipped == polled && !stopping()) {
            pool.journal().awaitDurable(appended);
        }
    }

    /** Destages every dirty segment of every vdisk, on the caller's thread; the caller holds Pool.destageLock. */
    @GuardedBy("Pool.destageLock")
    void drainAllWithoutLocking(Iterable<Vdisk> vdisks) {
        for (Vdisk v : vdisks) {
            v.parts().destage().destageAll(staging);
        }
        DirtySegment ds;
        while ((ds = queue.poll()) != null) {
            queued.decrementAndGet();
        }
    }

    /**
     * Destages every dirty segment of {@code v} on the caller's thread (a snapshot); entries of other vdisks stay
     * queued. The caller holds Pool.destageLock and {@code v}'s operation lock exclusively (no new entries appear).
     */
    @GuardedBy("Pool.destageLock")
    void drainVdiskWithoutLocking(Vdisk v) {
        v.parts().destage().destageAll(staging);
    }

    /** Stops the checkpointer and the syncer, then this thread (a final drain is the caller's). */
    @Override
    void stop() {
        checkpointer.stop();
        syncer.stop();
        super.stop();
    }
}
