package dev.vdisk.csi.server;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * At most one warning per period about refused requests, so that a flood of refusals (junk tokens at the agent API, a
 * non-root process looping on a volume image) cannot flood the log: the others go to debug and are counted in the next
 * warning. Thread-safe; one instance per kind of refusal.
 */
public final class RefusalWarnings {

    private final long periodNanos;
    private final AtomicLong lastWarn;
    private final AtomicLong unlogged = new AtomicLong();

    public RefusalWarnings(Duration period, long nowNanos) {
        this.periodNanos = period.toNanos();
        this.lastWarn = new AtomicLong(nowNanos - periodNanos);
    }

    /** How many refusals went unlogged before this one if it is to be warned about now, else -1 (it is counted). */
    public long warnNow(long nowNanos) {
        long last = lastWarn.get();
        if (nowNanos - last >= periodNanos && lastWarn.compareAndSet(last, nowNanos)) {
            return unlogged.getAndSet(0);
        }
        unlogged.incrementAndGet();
        return -1;
    }

    /** The suffix a warning adds for the refusals it stands for: empty, or " (N more refused in the last P s, ...)". */
    public String held(long unloggedBefore) {
        return unloggedBefore == 0
                ? ""
                : " (" + unloggedBefore + " more refused in the last "
                        + Duration.ofNanos(periodNanos).toSeconds() + " s, not logged)";
    }
}
