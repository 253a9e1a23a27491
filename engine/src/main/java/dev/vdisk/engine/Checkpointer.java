package dev.vdisk.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background thread that takes periodic consistency points ({@link Pool#maybeCheckpoint}). It used to be the
 * destager's job, between destage rounds: a point's data fsync (hundreds of MB under sequential writes) then stopped
 * all destaging, the slab filled and writers waited. On its own thread the point's first fsync runs while the
 * destager goes on (the point holds Pool.destageLock only for its final, short part).
 */
final class Checkpointer implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);

    private final Pool pool;
    /** Guards nothing but the sleep; the thread waits on {@link #poke}. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition poke = lock.newCondition();
    private volatile boolean stopping;
    private Thread thread;

    Checkpointer(Pool pool) {
        this.pool = pool;
    }

    void start(String poolName) {
        thread = Thread.ofPlatform().daemon().name("vdisk-checkpoint-" + poolName).start(this);
    }

    /** Asks for a check now rather than at the next tick (the destager calls it after each round). */
    void wake() {
        if (lock.tryLock()) {
            try {
                poke.signal();
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public void run() {
        long tick = TimeUnit.MILLISECONDS.toNanos(Math.max(10, pool.options().checkpointIntervalMillis() / 4));
        while (!stopping) {
            lock.lock();
            try {
                poke.awaitNanos(tick);
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (stopping) {
                return;
            }
            try {
                pool.maybeCheckpoint();
            } catch (PoolClosedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("consistency point of pool {} failed; retrying in 1 s: {}", pool.dir(), e.toString(), e);
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    void stop() {
        stopping = true;
        lock.lock();
        try {
            poke.signalAll();
        } finally {
            lock.unlock();
        }
        ThreadJoin.uninterruptibly(thread);
    }
}
