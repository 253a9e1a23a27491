package dev.vdisk.node.metrics;

import java.util.function.Supplier;

/**
 * A value read on demand and reused for {@code maxAgeNanos}: several gauges of one scrape (the eight split phases,
 * the three pool sizes) share one read of the agent, and nothing is read between scrapes.
 */
final class Sampled<T> {
    private final Supplier<T> read;
    private final long maxAgeNanos;
    // @GuardedBy("this")
    private T value;
    // @GuardedBy("this")
    private long readAt;

    Sampled(Supplier<T> read, long maxAgeNanos) {
        this.read = read;
        this.maxAgeNanos = maxAgeNanos;
    }

    synchronized T get() {
        long now = System.nanoTime();
        if (value == null || now - readAt > maxAgeNanos) {
            value = read.get();
            readAt = now;
        }
        return value;
    }
}
