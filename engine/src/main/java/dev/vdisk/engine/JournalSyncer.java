package dev.vdisk.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background group commit for the destager: when asked, makes everything appended to the journal so far durable,
 * so that the destager never sits idle in an fsync (it only applies records that are durable).
 */
final class JournalSyncer implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(JournalSyncer.class);

    private final Pool pool;
    /** Guards {@link #requested}; the thread sleeps on {@link #wanted}. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wanted = lock.newCondition();
    @GuardedBy("lock")
    private volatile boolean requested;
    private volatile boolean stopping;
    private Thread thread;

    JournalSyncer(Pool pool) {
        this.pool = pool;
    }

    void start(String poolName) {
        thread = Thread.ofPlatform().daemon().name("vdisk-journal-sync-" + poolName).start(this);
    }

    void request() {
        if (requested) {
            return;
        }
        lock.lock();
        try {
            requested = true;
            wanted.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void run() {
        while (!stopping) {
            lock.lock();
            try {
                while (!requested && !stopping) {
                    wanted.await(100, TimeUnit.MILLISECONDS);
                }
                requested = false;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (stopping) {
                return;
            }
            try {
                pool.journal().awaitDurable(pool.journal().lastSeq());
            } catch (PoolClosedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("journal sync of pool {} failed: {}", pool.dir(), e.toString());
            }
        }
    }

    void stop() {
        stopping = true;
        lock.lock();
        try {
            wanted.signalAll();
        } finally {
            lock.unlock();
        }
        ThreadJoin.uninterruptibly(thread);
    }
}
