package dev.vdisk.engine;

import dev.vdisk.engine.core.GuardedBy;
import java.util.concurrent.TimeUnit;

/**
 * Background group commit for the destager: when asked, makes everything appended to the journal so far durable,
 * so that the destager never sits idle in an fsync (it only applies records that are durable).
 */
final class JournalSyncer extends BackgroundLoop {
    private final Pool pool;
    /** Written under {@link #lock}; read without it to skip redundant requests. */
    @GuardedBy("lock")
    private volatile boolean requested;

    JournalSyncer(Pool pool) {
        super("journal-sync", pool.dir(), 0);
        this.pool = pool;
    }

    void request() {
        if (requested) {
            return;
        }
        lock.lock();
        try {
            requested = true;
            signal.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void awaitWorkLocked() throws InterruptedException {
        while (!requested && !stopping()) {
            signal.await(100, TimeUnit.MILLISECONDS);
        }
        requested = false;
    }

    @Override
    protected void round() {
        pool.journal().awaitDurable(pool.journal().lastSeq());
    }
}
