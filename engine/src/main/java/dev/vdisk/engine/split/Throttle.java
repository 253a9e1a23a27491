package dev.vdisk.engine.split;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The splitter's brakes: a token bucket on bytes per second (capacity: a tenth of a second's worth, at least one
 * segment) and, for idle-only splits, a wait while the pool's foreground I/O rate (from a running operation counter
 * sampled over the last 100 ms) is above a threshold. Used by one thread only; waits end early when
 * {@code stop} becomes true.
 */
final class Throttle {
    private static final long WINDOW_NANOS = 100_000_000L;
    private static final long MIN_SAMPLE_NANOS = 20_000_000L;

    private final long rate;
    private final long capacity;
    private final boolean idleOnly;
    private final long busyOpsPerSecond;
    private final LongSupplier foregroundOps;
    private final BooleanSupplier stop;
    private double tokens;
    private long lastRefill = System.nanoTime();
    private long sampleOps;
    private long sampleNanos;
    /** Until when the last idle verdict holds. */
    private long idleUntil;
    /** Nanoseconds spent waiting for idleness (tests, progress). */
    private long idleWaitNanos;

    Throttle(SplitOptions o, int segmentSize, LongSupplier foregroundOps, BooleanSupplier stop) {
        this.rate = o.rateBytesPerSecond();
        this.capacity = Math.max(segmentSize, rate / 10);
        this.idleOnly = o.idleOnly();
        this.busyOpsPerSecond = o.busyOpsPerSecond();
        this.foregroundOps = foregroundOps;
        this.stop = stop;
        this.tokens = 0;
        this.sampleOps = foregroundOps.getAsLong();
        this.sampleNanos = System.nanoTime();
    }

    /** The most bytes worth filling at once before paying: the bucket's capacity, unlimited without a rate. */
    long burstBytes() {
        return rate <= 0 ? Long.MAX_VALUE : capacity;
    }

    /** Waits until {@code bytes} may be filled (rate limit). */
    void acquire(long bytes) {
        if (rate <= 0) {
            return;
        }
        while (!stop.getAsBoolean()) {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - lastRefill) * (double) rate / 1e9);
            lastRefill = now;
            if (tokens >= bytes || (tokens >= 0 && bytes > capacity)) {
                tokens -= bytes; // may go negative for a request above capacity: the debt is paid by waiting
                return;
            }
            double missing = Math.max(bytes, 1) - tokens;
            sleepNanos((long) Math.min(50_000_000L, Math.max(100_000L, missing * 1e9 / rate)));
        }
    }

    /**
     * Idle-only splits: waits while foreground I/O is busier than the threshold. The rate is measured over the time
     * since the last measurement (at least {@link #MIN_SAMPLE_NANOS}, so the first call waits that long); an idle
     * verdict holds for {@link #WINDOW_NANOS} / 2 of work, a busy one costs a sleep of {@link #WINDOW_NANOS}.
     */
    void awaitIdle() {
        if (!idleOnly) {
            return;
        }
        while (!stop.getAsBoolean()) {
            long now = System.nanoTime();
            if (now < idleUntil) {
                return;
            }
            long elapsed = now - sampleNanos;
            if (elapsed < MIN_SAMPLE_NANOS) {
                sleepNanos(MIN_SAMPLE_NANOS - elapsed);
                continue;
            }
            long ops = foregroundOps.getAsLong();
            double perSecond = (ops - sampleOps) * 1e9 / elapsed;
            sampleOps = ops;
            sampleNanos = now;
            if (perSecond <= busyOpsPerSecond) {
                idleUntil = now + WINDOW_NANOS / 2;
                return;
            }
            long t0 = System.nanoTime();
            sleepNanos(WINDOW_NANOS);
            idleWaitNanos += System.nanoTime() - t0;
        }
    }

    long idleWaitNanos() {
        return idleWaitNanos;
    }

    private static void sleepNanos(long n) {
        try {
            Thread.sleep(n / 1_000_000L, (int) (n % 1_000_000L));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
