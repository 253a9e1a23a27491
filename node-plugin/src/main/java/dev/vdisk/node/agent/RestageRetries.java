package dev.vdisk.node.agent;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stages again, by itself, a volume that could not be staged at start ({@link Recovery#restage}): a pool that was
 * full made the mount (journal replay) or the format fail, and the volume used to come back only after the CO
 * unstaged and staged it. Each volume is retried with exponential backoff ({@link #FIRST_DELAY_NANOS} doubling
 * to {@link #MAX_DELAY_NANOS}), and at once when the pool's writable space has grown since its last attempt.
 * It stops when the volume is staged, unstaged by the CO (no longer recorded, or no longer abnormal), deleted,
 * or the agent closes. One log line per change of a volume's state: the first failure is Recovery's, then a line
 * only when the reason changes, and one when it is staged.
 *
 * <p>Threading: one virtual thread; each attempt holds the volume's lock (a busy volume is tried next round).
 * {@link #pending} is a concurrent map written by {@link #add} (start, before the thread runs) and the thread.
 */
final class RestageRetries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RestageRetries.class);
    static final long FIRST_DELAY_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long MAX_DELAY_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long TICK_MILLIS = 250;

    /** A volume waiting to be staged again: its record, the last failure, and when to try next. */
    private record Attempt(
            StagedVolume volume,
            String lastFailure,
            int attempts,
            long delayNanos,
            long dueNanos,
            long writableAtLastTry) {}

    private final NodeAgent agent;
    private final Map<String, Attempt> pending = new ConcurrentHashMap<>();
    private Thread thread;
    private volatile boolean closed;

    RestageRetries(NodeAgent agent) {
        this.agent = agent;
    }

    /** Retries {@code v}, whose staging at start failed with {@code failure}. */
    void add(StagedVolume v, String failure) {
        pending.put(
                v.volumeId(),
                new Attempt(v, failure, 1, FIRST_DELAY_NANOS, System.nanoTime() + FIRST_DELAY_NANOS, writable()));
    }

    /** Starts the thread if anything waits. */
    synchronized void start() {
        if (!pending.isEmpty() && thread == null) {
            thread = Thread.ofVirtual().name("vdisk-restage").start(this::run);
        }
    }

    private void run() {
        while (!closed && !pending.isEmpty()) {
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long writable = writable();
            for (Attempt a : pending.values()) {
                if (closed) {
                    return;
                }
                if (System.nanoTime() - a.dueNanos() >= 0 || writable > a.writableAtLastTry()) {
                    tryOnce(a, writable);
                }
            }
        }
    }

    private void tryOnce(Attempt a, long writable) {
        String id = a.volume().volumeId();
        try (var held = agent.locks().lock(id)) {
            if (!a.volume().equals(agent.staged().get(id).orElse(null))
                    || agent.abnormal(id).isEmpty()) {
                pending.remove(id); // unstaged (and perhaps staged anew) by the CO meanwhile
                LOG.info("volume {}: no longer waiting to be staged again (the CO unstaged it)", id);
                return;
            }
            if (!agent.exists(id)) {
                pending.remove(id);
                LOG.warn("volume {}: not staging it again, it was deleted; NodeUnstageVolume forgets it", id);
                return;
            }
            Optional<String> failure = Recovery.restageOne(agent, a.volume());
            if (failure.isEmpty()) {
                pending.remove(id);
                agent.clearAbnormal(id);
                LOG.info("volume {}: staged again at attempt {} after the node agent restarted", id, a.attempts() + 1);
                return;
            }
            agent.markAbnormal(id, Recovery.RESTAGE_FAILED + failure.get() + "; retrying by itself");
            if (!sameKind(failure.get(), a.lastFailure())) {
                LOG.warn("volume {}: staging it again still fails, now: {}; retrying", id, failure.get());
            }
            long delay = Math.min(MAX_DELAY_NANOS, a.delayNanos() * 2);
            pending.put(
                    id,
                    new Attempt(
                            a.volume(), failure.get(), a.attempts() + 1, delay, System.nanoTime() + delay, writable));
        } catch (VolumeBusyException e) {
            // a CO call holds it; next round
        }
    }

    /** Two failures alike but for numbers (a new loop device each attempt, byte counts) are one state. */
    private static boolean sameKind(String a, String b) {
        return a.replaceAll("\\d+", "#").equals(b.replaceAll("\\d+", "#"));
    }

    private long writable() {
        try {
            return agent.capacity().availableBytes();
        } catch (RuntimeException e) {
            return 0; // pool closing
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                // not interrupted: an attempt in progress finishes (a mkfs or mount cut short would leave a mess)
                t.join(TimeUnit.SECONDS.toMillis(70));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
