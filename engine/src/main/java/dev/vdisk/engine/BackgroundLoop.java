package dev.vdisk.engine;

import dev.vdisk.engine.core.ThreadJoin;
import dev.vdisk.engine.error.PoolClosedException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The skeleton of a pool's background threads ({@link Destager}, {@link JournalSyncer}, {@link Checkpointer}): one
 * platform daemon thread that sleeps on {@link #signal} until its subclass sees work, runs one round, and repeats
 * until {@link #stop}. A round that finds the pool closed ends the thread; any other failure is logged on one line
 * and the loop goes on after {@code retryMillis}. Subclasses keep their wake-up state under {@link #lock}.
 */
abstract class BackgroundLoop implements Runnable {
    private final Logger LOG = LoggerFactory.getLogger(getClass());
    /** Guards the subclass's wake-up state; the thread sleeps on {@link #signal}. */
    protected final ReentrantLock lock = new ReentrantLock();

    protected final Condition signal = lock.newCondition();
    private final String job;
    private final Path poolDir;
    private final long retryMillis;
    private volatile boolean stopping;
    private Thread thread;

    /**
     * @param job what a round does, for the thread's name ({@code vdisk-JOB-POOL}) and failure messages
     * @param retryMillis the pause after a failed round, 0 for none
     */
    protected BackgroundLoop(String job, Path poolDir, long retryMillis) {
        this.job = job;
        this.poolDir = poolDir;
        this.retryMillis = retryMillis;
    }

    void start(String poolName) {
        thread = Thread.ofPlatform()
                .daemon()
                .name("vdisk-" + job + "-" + poolName)
                .start(this);
    }

    /** Called with {@link #lock} held: sleeps on {@link #signal} until there is work (or a tick passed). */
    protected abstract void awaitWorkLocked() throws InterruptedException;

    /** One round of work, on the loop's thread, holding no lock of the loop. */
    protected abstract void round();

    /** True once {@link #stop} was called: long rounds check it to end early. */
    protected final boolean stopping() {
        return stopping;
    }

    @Override
    public final void run() {
        while (!stopping) {
            lock.lock();
            try {
                // checked under the lock: stop() sets the flag before it signals under the lock, so a stop that came
                // after the loop's check above is seen here, and one that comes later wakes the wait
                if (stopping) {
                    return;
                }
                awaitWorkLocked();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (stopping) {
                return;
            }
            try {
                round();
            } catch (PoolClosedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error(
                        "{} of pool {} failed{}: {}",
                        job,
                        poolDir,
                        retryMillis > 0 ? "; retrying in " + retryMillis + " ms" : "",
                        e.toString());
                LOG.debug("{} of pool {} failed", job, poolDir, e);
                if (retryMillis > 0 && !pause()) {
                    return;
                }
            }
        }
    }

    private boolean pause() {
        try {
            Thread.sleep(retryMillis);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** Ends the loop after its current round and waits for the thread (never interrupted: see ThreadJoin). */
    void stop() {
        stopping = true;
        lock.lock();
        try {
            signal.signalAll();
        } finally {
            lock.unlock();
        }
        ThreadJoin.uninterruptibly(thread);
    }

    /** The sleep between looks for work when nobody wakes the loop: a quarter of the checkpoint interval. */
    static long tickNanos(PoolOptions options) {
        return TimeUnit.MILLISECONDS.toNanos(Math.max(10, options.checkpointIntervalMillis() / 4));
    }
}
