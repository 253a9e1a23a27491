package dev.vdisk.engine.split;

import dev.vdisk.engine.error.InvalidRangeException;

/**
 * Throttling of a split.
 *
 * @param rateBytesPerSecond upper bound on the bytes the splitter fills per second (token bucket; SHARE counts the
 *     logical bytes of the segments it shares, COPY the bytes it copies); 0 = unlimited
 * @param idleOnly back off while the pool's foreground I/O (reads, writes, discards of any vdisk) is busy: the
 *     splitter sleeps while the recent foreground rate is above {@code busyOpsPerSecond}, so
 *     that relocation runs in the quiet periods
 * @param busyOpsPerSecond foreground operations per second above which an {@code idleOnly} split waits
 */
public record SplitOptions(long rateBytesPerSecond, boolean idleOnly, long busyOpsPerSecond) {
    public SplitOptions {
        if (rateBytesPerSecond < 0 || busyOpsPerSecond < 0) {
            throw new InvalidRangeException("split rate " + rateBytesPerSecond + " and busy threshold "
                    + busyOpsPerSecond + " must not be negative");
        }
    }

    /** Unlimited, not idle-only. */
    public static SplitOptions defaults() {
        return new SplitOptions(0, false, 200);
    }

    public SplitOptions withRate(long bytesPerSecond) {
        return new SplitOptions(bytesPerSecond, idleOnly, busyOpsPerSecond);
    }

    public SplitOptions withIdleOnly(long busyOpsPerSecond) {
        return new SplitOptions(rateBytesPerSecond, true, busyOpsPerSecond);
    }
}
