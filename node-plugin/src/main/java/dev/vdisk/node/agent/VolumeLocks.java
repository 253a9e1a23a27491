package dev.vdisk.node.agent;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per volume ID: every operation on a volume (stage, unstage, publish, unpublish, expand, stats, and the
 * agent API's create, delete, resize) runs under it, so operations on one volume are serialised and operations
 * on different volumes run in parallel. Entries live only while someone holds or waits for them.
 *
 * <p>Waiting is bounded: the CO retries a call that times out, and a retry must not queue up behind a stuck
 * predecessor forever; it gets {@link VolumeBusyException} (ABORTED, the spec's "operation pending for volume").
 */
public final class VolumeLocks {
    private final long waitSeconds;
    /** Lock entries by volume ID; an entry's {@code users} is changed only inside {@code compute} on this map. */
    private final ConcurrentHashMap<String, Entry> locks = new ConcurrentHashMap<>();

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        int users;
    }

    /** A held volume lock; close releases it. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    public VolumeLocks(long waitSeconds) {
        this.waitSeconds = waitSeconds;
    }

    public Held lock(String volumeId) {
        Entry e = locks.compute(volumeId, (k, v) -> {
            Entry entry = v != null ? v : new Entry();
            entry.users++;
            return entry;
        });
        boolean locked = false;
        try {
            locked = e.lock.tryLock(waitSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        } finally {
            if (!locked) {
                release(volumeId, e);
            }
        }
        if (!locked) {
            throw new VolumeBusyException(volumeId, waitSeconds);
        }
        return () -> {
            e.lock.unlock();
            release(volumeId, e);
        };
    }

    private void release(String volumeId, Entry e) {
        locks.computeIfPresent(volumeId, (k, v) -> --v.users == 0 ? null : v);
    }

    /** Whether this thread holds the lock of {@code volumeId} (for assertions in methods that need it). */
    public boolean isHeldByCurrentThread(String volumeId) {
        Entry e = locks.get(volumeId);
        return e != null && e.lock.isHeldByCurrentThread();
    }
}
