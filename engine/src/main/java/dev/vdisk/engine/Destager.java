package dev.vdisk.engine;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one background thread that applies dirty segments to the pool (consistency points are the {@link Checkpointer}'s,
 * started and stopped with it, and woken after each round). It waits
 * a short batching delay after the first dirty segment (so that neighbouring small writes land in one destage) unless
 * the changes table is under pressure, then drains everything queued.
 */
final class Destager implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Destager.class);

    private final Pool pool;
    private final ConcurrentLinkedQueue<DirtySegment> queue = new ConcurrentLinkedQueue<>();
    /** Size of {@link #queue} ({@code ConcurrentLinkedQueue.size()} walks the whole queue). */
    private final AtomicInteger queued = new AtomicInteger();
    /** Owned by the destager thread (and by whoever holds Pool.destageLock for a synchronous drain). */
    @GuardedBy("Pool.destageLock")
    private final ByteBuffer staging;
    /** Guards the wake-up flags; the thread sleeps on {@link #work}. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    /** Written under {@link #lock}; read without it to skip redundant wake-ups on the write path. */
    @GuardedBy("lock")
    private volatile boolean urgent;
    private volatile boolean stopping;
    private Thread thread;
    private final JournalSyncer syncer;
    private final Checkpointer checkpointer;

    Destager(Pool pool, int segmentSize) {
        this.pool = pool;
        this.staging = ByteBuffer.allocateDirect(segmentSize);
        this.syncer = new JournalSyncer(pool);
        this.checkpointer = new Checkpointer(pool);
    }

    void start(String poolName) {
        thread = Thread.ofPlatform().daemon().name("vdisk-destager-" + poolName).start(this);
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
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int queued() {
        return queued.get();
    }

    @Override
    public void run() {
        PoolOptions o = pool.options();
        while (!stopping) {
            try {
                waitForWork(o);
                if (stopping) {
                    break;
                }
                drainOnce();
                checkpointer.wake();
            } catch (PoolClosedException e) {
                break;
            } catch (RuntimeException e) {
                log.error("destager of pool {} failed; retrying in 1 s: {}", pool.dir(), e.toString(), e);
                sleepQuietly(1000);
            }
        }
    }

    private void waitForWork(PoolOptions o) {
        lock.lock();
        try {
            long tick = TimeUnit.MILLISECONDS.toNanos(Math.max(10, o.checkpointIntervalMillis() / 4));
            if (queue.isEmpty() && !urgent) {
                work.awaitNanos(tick);
            }
            if (!queue.isEmpty() && !urgent && o.destageDelayMillis() > 0) {
                work.awaitNanos(TimeUnit.MILLISECONDS.toNanos(o.destageDelayMillis()));
            }
            urgent = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        } finally {
            lock.unlock();
        }
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
        for (int i = 0; i < n && !stopping; i++) {
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
                done = ds.vdisk.destage(ds, staging, false);
            } finally {
                pool.destageLock().unlock();
            }
            if (!done) {
                skipped++;
                queue.add(ds);
                queued.incrementAndGet();
                syncer.request();
            }
        }
        if (skipped > 0 && skipped == polled && !stopping) {
            pool.journal().awaitDurable(appended);
        }
    }

    /** Destages every dirty segment of every vdisk, on the caller's thread; the caller holds Pool.destageLock. */
    @GuardedBy("Pool.destageLock")
    void drainAllWithoutLocking(Iterable<Vdisk> vdisks) {
        for (Vdisk v : vdisks) {
            while (!v.table.isEmpty()) {
                for (DirtySegment ds : v.table.values()) {
                    v.destage(ds, staging);
                }
            }
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
        while (!v.table.isEmpty()) {
            for (DirtySegment ds : v.table.values()) {
                v.destage(ds, staging);
            }
        }
    }

    void stop() {
        checkpointer.stop();
        syncer.stop();
        stopping = true;
        wake(true);
        ThreadJoin.uninterruptibly(thread);
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
