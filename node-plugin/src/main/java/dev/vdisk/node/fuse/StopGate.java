package dev.vdisk.node.fuse;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stops a session's workers from starting requests before a hand-over (graceful stop): once {@link #close}d, a
 * worker that has read a request leaves it unanswered, so it stays in the kernel's processing queue of a descriptor
 * the holder keeps and the successor's FUSE_NOTIFY_RESEND sends it again; requests already started finish, and
 * {@link #close} waits for them (bounded).
 *
 * <p>Threading: {@link #enter} and {@link #exit} are called by workers, {@link #close} by the control thread. A
 * worker increments before it looks at the flag and the closer sets the flag before it looks at the count (both
 * volatile), so a request is either counted by the closer's wait or left unanswered, never both nor neither.
 */
final class StopGate {
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closed;

    /** Whether the worker may answer the request it just read; if true it must call {@link #exit} after. */
    boolean enter() {
        inFlight.incrementAndGet();
        if (closed) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    void exit() {
        inFlight.decrementAndGet();
    }

    boolean isClosed() {
        return closed;
    }

    /** Closes the gate and waits up to {@code millis} for the requests in flight; returns how many are left. */
    int close(long millis) {
        closed = true;
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return inFlight.get();
    }
}
