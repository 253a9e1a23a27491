package dev.vdisk.node.backend;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One rate limit as a virtual clock (the generic cell rate algorithm, a token bucket without a refill thread): each
 * request advances {@link #due} by its cost in nanoseconds at the current rate, starting no earlier than now, and
 * may proceed once {@code due - BURST_NANOS} is reached. The bucket thus holds {@link #BURST_NANOS} worth of
 * credit; an idle period adds no more than that.
 *
 * <p>Threading: lock-free. A request reserves its place with one compare-and-set and then waits on its own, so
 * concurrent requests queue in the order they reserved without holding anything while they wait (no convoy).
 */
final class RateGate {
    /** Credit an idle gate accumulates: short bursts pass at once, the average stays at the rate. */
    static final long BURST_NANOS = 100_000_000L;

    /** When the reservations made so far are paid off at the current rate; far in the past when idle. */
    private final AtomicLong due = new AtomicLong(Long.MIN_VALUE / 2);

    /**
     * Reserves {@code cost} units at {@code perSecond} units per second and returns how long the caller must wait
     * (nanoseconds, 0 for none). {@code perSecond} is positive.
     */
    long reserve(long cost, long perSecond, long now) {
        // cost <= 2^31 bytes (one request) and 1e9 < 2^30: the product fits in a long
        long nanos = cost * 1_000_000_000L / perSecond;
        while (true) {
            long d = due.get();
            long next = Math.max(d, now) + nanos;
            if (due.compareAndSet(d, next)) {
                return Math.max(0, next - BURST_NANOS - now);
            }
        }
    }

    /** Forgets reservations (the limit changed: what was owed at the old rate no longer applies). */
    void reset() {
        due.set(Long.MIN_VALUE / 2);
    }
}
