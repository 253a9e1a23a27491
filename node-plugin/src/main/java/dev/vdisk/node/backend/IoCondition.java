package dev.vdisk.node.backend;

import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.error.Reason;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether one direction (writes or reads) of one volume currently fails, logged once per change: a full pool fails
 * every new allocation, and a line (let alone a stack trace) per failed request buried the log in one short fill.
 * The first failure logs "{@code <volume>: writes failing: pool out of space}"; the condition ends, logging
 * "{@code <volume>: writes succeed again}", at the first success that comes {@link #QUIET_NANOS} after the last
 * failure and, when the pool was out of space, finds room in it again: at least what the failed writes asked for
 * (asked at most every {@link #ROOM_CHECK_NANOS}). That is the hysteresis a full pool needs: rewrites of already allocated blocks and
 * discards keep succeeding between the failing new allocations, and must not flap the condition.
 *
 * <p>Threading: called by every FUSE worker at once. The condition is one {@link AtomicReference}; only the thread
 * whose compare-and-set changes it logs and counts. A success costs one volatile read while nothing fails.
 */
public final class IoCondition {
    private static final Logger LOG = LoggerFactory.getLogger(IoCondition.class);
    /** How long a direction must see no failure before a success ends its failing condition. */
    static final long QUIET_NANOS = 2_000_000_000L;
    /** How often a success while out of space may ask whether the pool has room again. */
    static final long ROOM_CHECK_NANOS = 1_000_000_000L;

    /**
     * A failing condition: what fails and why ({@code writes failing: pool out of space}), since when.
     *
     * @param outOfSpace the cause is space (the pool's, or its disk's): ends only when there is room again
     */
    public record Failing(String what, Instant since, boolean outOfSpace) {}

    /** Condition changes of all volumes, for the metrics. */
    public record Changes(LongAdder failing, LongAdder recovered) {
        public Changes() {
            this(new LongAdder(), new LongAdder());
        }
    }

    private final String volumeId;
    private final String direction;
    private final Changes changes;
    private final LongSupplier writableBytes;
    /** The most a failed write asked for (engine: segments it had to reserve) since the condition began. */
    private volatile long neededBytes;

    private final AtomicReference<Failing> failing = new AtomicReference<>();
    private volatile long lastFailureNanos;
    private volatile long lastRoomCheckNanos;

    /**
     * @param direction "writes" or "reads", as the log line and the condition name it
     * @param writableBytes what the pool can write now (asked only while out of space)
     */
    public IoCondition(String volumeId, String direction, Changes changes, LongSupplier writableBytes) {
        this.volumeId = volumeId;
        this.direction = direction;
        this.changes = changes;
        this.writableBytes = writableBytes;
    }

    /** The failing condition, if there is one now. */
    public Optional<Failing> current() {
        return Optional.ofNullable(failing.get());
    }

    void failed(Throwable e) {
        lastFailureNanos = System.nanoTime();
        long needed = needed(e);
        if (needed > neededBytes) {
            neededBytes = needed; // a racing larger value may be lost: it only delays the end by one check
        }
        if (failing.get() != null) {
            return;
        }
        String cause = cause(e);
        Failing f = new Failing(direction + " failing: " + cause, Instant.now(), !cause.startsWith("I/O error"));
        if (failing.compareAndSet(null, f)) {
            changes.failing().increment();
            LOG.warn("{}: {} ({})", volumeId, f.what(), e.getMessage());
        }
    }

    void succeeded() {
        Failing f = failing.get();
        if (f == null) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastFailureNanos < QUIET_NANOS) {
            return;
        }
        if (f.outOfSpace()) {
            if (now - lastRoomCheckNanos < ROOM_CHECK_NANOS) {
                return;
            }
            lastRoomCheckNanos = now;
            if (writableBytes.getAsLong() < neededBytes) {
                return;
            }
        }
        if (failing.compareAndSet(f, null)) {
            neededBytes = 0;
            changes.recovered().increment();
            LOG.info("{}: {} succeed again (failing since {})", volumeId, direction, f.since());
        }
    }

    /** What a failed write needed: the engine says; a full host disk gets one 1 MiB of room. */
    private static long needed(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfSpaceException x) {
                return x.requestedBytes();
            }
        }
        return 1 << 20;
    }

    /** A short cause without host paths: it reaches users through NodeGetVolumeStats. */
    private static String cause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EngineException x && x.reason() == Reason.OUT_OF_SPACE) {
                return "pool out of space";
            }
            if ("No space left on device".equals(t.getMessage())) {
                return "the pool's disk is full";
            }
        }
        return "I/O error (the node agent's log has the details)";
    }
}
