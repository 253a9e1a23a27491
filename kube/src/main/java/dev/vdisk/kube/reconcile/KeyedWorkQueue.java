package dev.vdisk.kube.reconcile;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work per key (an object's kind and name), as client-go's work queue does it: a key added while it waits is
 * queued once; added while it is handled, it is handled once more afterwards, so the last change is always seen and
 * one key is never handled twice at once. Up to {@code parallelism} different keys are handled at once, on virtual
 * threads; keys wait in the order they were added.
 *
 * <p>The {@link Handler} returns when to look at the key again without a change; a handler that throws is retried
 * after the {@link Backoff} (reset by its next success). A key has at most one timer: a newer {@link #addAfter}
 * replaces the older.
 *
 * <p>Nothing is handled before {@link #open} (a controller opens once its informers have listed everything, so that
 * handlers see related objects); keys added before are kept. {@link #close} handles no further key, drops the
 * waiting ones and the timers, and lets the keys being handled finish (up to {@link #CLOSE_GRACE}, then interrupts
 * them): a handler cut off between its status write and its Events would leave the next owner a status whose Events
 * were never recorded. A handler that fails during the close is not retried, nor reported: its key is the next
 * owner's.
 *
 * <p>Threads: informer callbacks, timers and handlers only {@link #add} (never blocks); all state is guarded by
 * {@code lock}, which is never held while a handler runs. One platform thread runs the timers and only adds.
 */
public final class KeyedWorkQueue implements AutoCloseable {

    /** How long {@link #close} waits for running handlers before it interrupts them. */
    public static final Duration CLOSE_GRACE = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(KeyedWorkQueue.class);

    /** Handles one key. */
    @FunctionalInterface
    public interface Handler {
        /** @return when to handle {@code key} again without a change; null: only on its next {@link #add} */
        Duration handle(String key);
    }

    private final String name;
    private final int parallelism;
    private final Backoff backoff;
    private final Handler handler;
    private final ExecutorService workers;
    private final ScheduledThreadPoolExecutor timer;

    private final Object lock = new Object();
    /** Keys waiting for a worker, oldest first; guarded by {@link #lock}. */
    private final ArrayDeque<String> ready = new ArrayDeque<>();
    /** Keys added and not started yet (waiting, or to run again after their running turn); guarded by lock. */
    private final Set<String> dirty = new HashSet<>();
    /** Keys being handled; guarded by {@link #lock}. */
    private final Set<String> running = new HashSet<>();
    /** key -> its pending timer; guarded by {@link #lock}. */
    private final Map<String, ScheduledFuture<?>> timers = new HashMap<>();
    /** key -> failures in a row; guarded by {@link #lock}. */
    private final Map<String, Integer> failures = new HashMap<>();
    /** Workers started and not finished; guarded by {@link #lock}. */
    private int busy;

    private boolean opened;
    private volatile boolean closed;

    /**
     * @param name        for thread names and log lines ("split-requests")
     * @param parallelism how many keys may be handled at once (1: one key at a time, in order)
     */
    public KeyedWorkQueue(String name, int parallelism, Backoff backoff, Handler handler) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
        }
        this.name = Objects.requireNonNull(name);
        this.parallelism = parallelism;
        this.backoff = Objects.requireNonNull(backoff);
        this.handler = Objects.requireNonNull(handler);
        this.workers = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name(name + "-", 0).factory());
        this.timer = new ScheduledThreadPoolExecutor(
                1, Thread.ofPlatform().name(name + "-timer").daemon().factory());
        timer.setRemoveOnCancelPolicy(true);
    }

    /** Handles {@code key} soon: once if it is already waiting, once more afterwards if it is being handled. */
    public void add(String key) {
        synchronized (lock) {
            if (closed || !dirty.add(key) || running.contains(key)) {
                return; // closed, already waiting, or queued to run again when its running turn ends
            }
            ready.add(key);
            startWorkers();
        }
    }

    /** {@link #add} after {@code delay}, replacing the key's earlier timer. */
    public void addAfter(String key, Duration delay) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            cancelTimer(key);
            ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
            self[0] = timer.schedule(
                    () -> {
                        synchronized (lock) {
                            timers.remove(key, self[0]); // set before this can run: it was assigned under the lock
                        }
                        add(key);
                    },
                    delay.toMillis(),
                    TimeUnit.MILLISECONDS);
            timers.put(key, self[0]);
        }
    }

    /** {@link #add} now and every {@code period} (a heartbeat), until {@link #close}. */
    public void addEvery(String key, Duration period) {
        synchronized (lock) {
            if (!closed) {
                timer.scheduleAtFixedRate(() -> add(key), 0, period.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Drops the key's timer and failure count (its object is gone). A waiting or running turn still happens. */
    public void forget(String key) {
        synchronized (lock) {
            cancelTimer(key);
            failures.remove(key);
        }
    }

    /** Lets handling start. */
    public void open() {
        synchronized (lock) {
            opened = true;
            startWorkers();
        }
    }

    /** Holds {@link #lock}: starts a worker for each waiting key, up to the parallelism. */
    private void startWorkers() {
        while (opened && !closed && busy < parallelism && busy < ready.size() + running.size()) {
            busy++;
            workers.execute(this::work);
        }
    }

    private void work() {
        String key;
        while ((key = next()) != null) {
            Duration again = null;
            RuntimeException failure = null;
            try {
                again = handler.handle(key);
            } catch (RuntimeException e) {
                failure = e;
            } catch (Error e) {
                synchronized (lock) {
                    busy--; // this worker ends here; the key is not retried
                }
                throw e;
            } finally {
                synchronized (lock) {
                    running.remove(key);
                    if (dirty.contains(key)) {
                        ready.add(key); // added while it ran: its next turn
                        startWorkers(); // this worker may be the one that just ended on an Error
                    }
                }
            }
            after(key, again, failure);
        }
    }

    /** The next key to handle, marked running; null when there is none (this worker then ends). */
    private String next() {
        synchronized (lock) {
            String key = closed ? null : ready.poll();
            if (key == null) {
                busy--;
                return null;
            }
            dirty.remove(key);
            running.add(key);
            return key;
        }
    }

    private void after(String key, Duration again, RuntimeException failure) {
        if (failure == null) {
            synchronized (lock) {
                failures.remove(key);
            }
            if (again != null) {
                addAfter(key, again);
            }
            return;
        }
        if (closed) {
            LOG.debug("{}: {} failed while closing, left to the next owner: {}", name, key, failure.toString());
            return;
        }
        Duration wait;
        synchronized (lock) {
            wait = backoff.after(failures.merge(key, 1, Integer::sum));
        }
        LOG.warn(
                "{}: {} failed, again in {} ms: {}{}",
                name,
                key,
                wait.toMillis(),
                failure,
                failure.getCause() == null ? "" : " caused by " + failure.getCause());
        addAfter(key, wait);
    }

    /** Holds {@link #lock}. */
    private void cancelTimer(String key) {
        ScheduledFuture<?> t = timers.remove(key);
        if (t != null) {
            t.cancel(false);
        }
    }

    /** Handles no further key and lets the running ones finish (see the class comment). Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            ready.clear();
            dirty.clear();
            timers.clear();
        }
        timer.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{}: work still running {} s after close; interrupting it", name, CLOSE_GRACE.toSeconds());
                workers.shutdownNow();
                workers.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
