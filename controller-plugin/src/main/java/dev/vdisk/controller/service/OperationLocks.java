package dev.vdisk.controller.service;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per volume ID, so that calls on one volume (a CO's retries, duplicate CreateVolume calls for one name)
 * run one after the other and calls on different volumes in parallel. A caller that waits longer than the timeout
 * gets {@link OperationPendingException} (ABORTED): the spec's "operation pending for volume", which a CO retries.
 * Entries exist only while held or awaited.
 */
final class OperationLocks {

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        /** Holders and waiters; guarded by the map's monitor. */
        int users;
    }

    /** Held when returned; {@link #close} releases it. */
    final class Held implements AutoCloseable {
        private final String key;
        private final Entry entry;

        private Held(String key, Entry entry) {
            this.key = key;
            this.entry = entry;
        }

        @Override
        public void close() {
            entry.lock.unlock();
            release(key, entry);
        }
    }

    private final Duration timeout;
    /** Volume ID &rarr; its lock while anyone holds or waits for it; guarded by itself. */
    private final Map<String, Entry> entries = new HashMap<>();

    OperationLocks(Duration timeout) {
        this.timeout = timeout;
    }

    Held lock(String volumeId) {
        Entry entry;
        synchronized (entries) {
            entry = entries.computeIfAbsent(volumeId, k -> new Entry());
            entry.users++;
        }
        boolean locked = false;
        try {
            locked = entry.lock.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the lock of volume " + volumeId);
        } finally {
            if (!locked) {
                release(volumeId, entry);
            }
        }
        if (!locked) {
            throw new OperationPendingException("another operation on volume " + volumeId + " is still running after "
                    + timeout.toSeconds() + " s; retry later");
        }
        return new Held(volumeId, entry);
    }

    private void release(String volumeId, Entry entry) {
        synchronized (entries) {
            if (--entry.users == 0) {
                entries.remove(volumeId);
            }
        }
    }

    /** Volume IDs with a holder or a waiter (for tests). */
    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
