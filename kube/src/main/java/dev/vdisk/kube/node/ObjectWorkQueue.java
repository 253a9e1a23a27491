package dev.vdisk.kube.node;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work per object, one at a time per key, on virtual threads; different keys run in parallel. Informer callbacks and
 * timers only {@link #submit} (never blocks): a key submitted while its work is queued is coalesced, while it runs
 * it runs once more afterwards (with the newest task), so the last change is always seen and never twice at once.
 * {@link #submitAfter} keeps at most one timer per key (a newer one replaces it).
 *
 * <p>Nothing runs before {@link #open} (the reconcilers wait for every informer's first list, so that they see
 * related objects); submissions made before are kept.
 */
final class ObjectWorkQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectWorkQueue.class);

    /** The task to run next for a key that is running; guarded by {@link #lock}. */
    private static final class Slot {
        Runnable next;
    }

    private final Object lock = new Object();
    /** key -> its slot while its work runs or waits to run; guarded by {@link #lock}. */
    private final Map<String, Slot> active = new HashMap<>();
    /** key -> its pending timer; guarded by {@link #lock}. */
    private final Map<String, ScheduledFuture<?>> timers = new HashMap<>();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    /** One thread that only submits (and beats the heartbeat's submission): it never blocks on work. */
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("vdisk-node-timer").daemon().factory());
    private final CountDownLatch opened = new CountDownLatch(1);
    private volatile boolean closed;

    /** Runs {@code task} for {@code key} soon: after the key's running work, coalesced with its queued work. */
    void submit(String key, Runnable task) {
        if (closed) {
            return;
        }
        synchronized (lock) {
            Slot slot = active.get(key);
            if (slot != null) {
                slot.next = task;
                return;
            }
            slot = new Slot();
            slot.next = task;
            active.put(key, slot);
        }
        workers.execute(() -> drain(key));
    }

    /** {@link #submit} after {@code delay}, replacing this key's earlier timer. */
    void submitAfter(String key, Duration delay, Runnable task) {
        if (closed) {
            return;
        }
        synchronized (lock) {
            ScheduledFuture<?> earlier = timers.remove(key);
            if (earlier != null) {
                earlier.cancel(false);
            }
            timers.put(key, timer.schedule(() -> {
                synchronized (lock) {
                    timers.remove(key);
                }
                submit(key, task);
            }, delay.toMillis(), TimeUnit.MILLISECONDS));
        }
    }

    /** Drops the key's timer (its object is gone). */
    void forget(String key) {
        synchronized (lock) {
            ScheduledFuture<?> t = timers.remove(key);
            if (t != null) {
                t.cancel(false);
            }
        }
    }

    /** Submits {@code task} under {@code key} every {@code period} (the heartbeat). */
    void submitEvery(String key, Duration period, Runnable task) {
        timer.scheduleAtFixedRate(() -> submit(key, task), 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Lets work run. */
    void open() {
        opened.countDown();
    }

    private void drain(String key) {
        try {
            opened.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        while (!closed) {
            Runnable task;
            synchronized (lock) {
                Slot slot = active.get(key);
                task = slot.next;
                if (task == null) {
                    active.remove(key);
                    return;
                }
                slot.next = null;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.error("work on {} failed", key, e);
            }
        }
    }

    /** Stops the timers, lets running work finish (up to 10 s) and drops what waits. */
    @Override
    public void close() {
        closed = true;
        opened.countDown();
        timer.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("node reconciler work still running after 10 s; interrupting it");
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
