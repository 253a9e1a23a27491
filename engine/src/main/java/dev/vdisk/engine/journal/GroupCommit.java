package dev.vdisk.engine.journal;

import dev.vdisk.engine.core.GuardedBy;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The hand-off of group commit: callers that need records durable share one sync. The first caller without a sync
 * under way becomes the leader and runs the journal's sync (which syncs everything appended so far and returns the
 * last sequence number it covers); the others wait for it and check again.
 */
final class GroupCommit {
    private final ReentrantLock syncLock = new ReentrantLock();
    private final Condition synced = syncLock.newCondition();

    @GuardedBy("syncLock")
    private boolean syncing;

    private volatile long durableSeq;

    /** Sequence number up to which every record is durable. */
    long durableSeq() {
        return durableSeq;
    }

    /** Sets the durable point at open (no sync can run yet). */
    void start(long seq) {
        durableSeq = seq;
    }

    /**
     * Returns once every record up to {@code seq} is durable. {@code leaderSync} runs on the leader's thread, outside
     * this class's lock; it returns the last sequence number it made durable.
     */
    void awaitDurable(long seq, LongSupplier leaderSync) {
        if (durableSeq >= seq) {
            return;
        }
        boolean interrupted = false;
        syncLock.lock();
        try {
            while (durableSeq < seq) {
                if (syncing) {
                    try {
                        synced.await();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                    continue;
                }
                syncing = true;
                syncLock.unlock();
                long end;
                try {
                    end = leaderSync.getAsLong();
                } finally {
                    syncLock.lock();
                    syncing = false;
                    synced.signalAll();
                }
                if (end > durableSeq) {
                    durableSeq = end;
                }
            }
        } finally {
            syncLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
