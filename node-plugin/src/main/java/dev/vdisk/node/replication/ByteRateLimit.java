package dev.vdisk.node.replication;

/**
 * A token bucket on bytes per second, as the splitter brakes (capacity: a tenth of a second's worth, at least one
 * chunk); 0 = unlimited. One thread uses it.
 */
final class ByteRateLimit {
    private final long rate;
    private final double capacity;
    private double tokens;
    private long last = System.nanoTime();

    ByteRateLimit(long bytesPerSecond, long chunkBytes) {
        this.rate = bytesPerSecond;
        this.capacity = Math.max(chunkBytes, bytesPerSecond / 10.0);
    }

    /** Waits until {@code bytes} may pass (a request above the capacity runs into debt, paid by the next waits). */
    void acquire(long bytes) throws InterruptedException {
        if (rate <= 0 || bytes <= 0) {
            return;
        }
        while (true) {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - last) * (double) rate / 1e9);
            last = now;
            if (tokens >= Math.min(bytes, capacity)) {
                tokens -= bytes;
                return;
            }
            long waitNanos = (long) ((Math.min(bytes, capacity) - tokens) * 1e9 / rate);
            Thread.sleep(Math.max(1, waitNanos / 1_000_000));
        }
    }
}
