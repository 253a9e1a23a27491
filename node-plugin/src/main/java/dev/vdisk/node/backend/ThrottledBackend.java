package dev.vdisk.node.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * Enforces a volume's {@link IoLimits} in front of another backend: a request beyond the limits is delayed (never
 * refused) until the rate allows it. Reads and writes cost one operation and their length in bytes; a discard one
 * operation; a flush nothing (it only waits for writes that were already paid for).
 *
 * <p>Threading: every FUSE worker calls in concurrently. Each limit is a lock-free {@link RateGate}; a request
 * reserves its slot with a compare-and-set and then parks its own thread, so waiting requests hold no lock and the
 * limits cost no allocation per request. {@link #limits(IoLimits)} may be called at any time from another thread:
 * the new limits apply to the next request, and requests already waiting re-check every {@link #RECHECK_NANOS} and
 * stop waiting if the limits changed (so raising or removing a limit takes effect at once, not after the old
 * delay). A waiting request occupies its FUSE worker: a volume throttled far below what its users ask for holds up
 * to as many workers as the loop device keeps requests in flight, which slows other volumes on the node (answering
 * FUSE requests out of order would lift that and is not done).
 */
public final class ThrottledBackend implements BlockBackend {
    /** How often a waiting request looks whether the limits changed. */
    static final long RECHECK_NANOS = 20_000_000L;

    private final BlockBackend inner;
    private final RateGate operations = new RateGate();
    private final RateGate bytes = new RateGate();
    private volatile IoLimits limits;
    /** Incremented by every limits change; a waiter that sees it move stops waiting. */
    private volatile long generation;

    public ThrottledBackend(BlockBackend inner, IoLimits limits) {
        this.inner = inner;
        this.limits = limits;
    }

    public IoLimits limits() {
        return limits;
    }

    /** Replaces the limits; takes effect for waiting and new requests at once. */
    public synchronized void limits(IoLimits newLimits) {
        if (newLimits.equals(limits)) {
            return;
        }
        limits = newLimits;
        operations.reset();
        bytes.reset();
        generation++; // after the limits: a waiter that sees the new generation re-reads nothing, it just stops
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        admit(dst.remaining());
        return inner.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        admit(src.remaining());
        inner.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        inner.flush();
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        admit(0);
        inner.discard(offset, length);
    }

    @Override
    public long size() {
        return inner.size();
    }

    /** Waits until one more operation of {@code length} bytes fits the limits. */
    private void admit(long length) {
        long gen = generation; // before the limits: a change in between then ends the wait instead of being missed
        IoLimits l = limits;
        if (l.unlimited()) {
            return;
        }
        long now = System.nanoTime();
        long wait = 0;
        if (l.maxIops() > 0) {
            wait = operations.reserve(1, l.maxIops(), now);
        }
        if (l.maxBytesPerSecond() > 0 && length > 0) {
            wait = Math.max(wait, bytes.reserve(length, l.maxBytesPerSecond(), now));
        }
        long until = now + wait;
        boolean interrupted = false;
        for (long left = wait; left > 0 && generation == gen; left = until - System.nanoTime()) {
            LockSupport.parkNanos(this, Math.min(left, RECHECK_NANOS));
            interrupted |= Thread.interrupted();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
