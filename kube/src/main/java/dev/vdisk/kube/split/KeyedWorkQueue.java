package dev.vdisk.kube.split;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker thread that handles keys one at a time; a key queued again before it ran runs once. The handler
 * returns when to look at the key again (null: not until it is queued again); a handler that throws is retried
 * after a back-off. {@link #close} lets the key being handled finish (a reconcile interrupted between its status
 * write and its Events would leave the next leader a status whose Events were never recorded) and starts no other.
 */
final class KeyedWorkQueue implements AutoCloseable {

    static final Duration ERROR_RETRY = Duration.ofSeconds(2);

    private static final Logger LOG = LoggerFactory.getLogger(KeyedWorkQueue.class);

    private final ScheduledThreadPoolExecutor worker;
    /** Set by {@link #close}: keys queued or scheduled from then on are not handled. */
    private volatile boolean closing;
    private final Function<String, Duration> handler;
    /** Keys queued and not started yet: a second enqueue of one of them is dropped. */
    private final Set<String> queued = ConcurrentHashMap.newKeySet();

    KeyedWorkQueue(String threadName, Function<String, Duration> handler) {
        this.handler = handler;
        this.worker = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        // a close drops the delayed re-looks instead of waiting for them
        worker.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    void enqueue(String key) {
        if (queued.add(key) && !worker.isShutdown()) {
            worker.execute(() -> run(key));
        }
    }

    private void enqueueAfter(String key, Duration delay) {
        if (!worker.isShutdown()) {
            worker.schedule(() -> enqueue(key), delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void run(String key) {
        queued.remove(key);
        if (closing) {
            return;
        }
        try {
            Duration again = handler.apply(key);
            if (again != null) {
                enqueueAfter(key, again);
            }
        } catch (RuntimeException e) {
            if (worker.isShutdown()) {
                return; // closed (leadership lost): the interrupted request is the next leader's, no retry, no warning
            }
            LOG.warn("{}: {}{} (retrying in {} s)", key, e, e.getCause() == null ? "" : " caused by " + e.getCause(),
                    ERROR_RETRY.toSeconds());
            enqueueAfter(key, ERROR_RETRY);
        }
    }

    @Override
    public void close() {
        closing = true;
        worker.shutdown();
        try {
            if (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("split worker did not finish its key within 10 s; interrupting it");
                worker.shutdownNow();
                worker.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
