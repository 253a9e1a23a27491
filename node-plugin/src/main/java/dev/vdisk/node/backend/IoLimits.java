package dev.vdisk.node.backend;

/**
 * A volume's I/O limits as its data path enforces them ({@link ThrottledBackend}); 0 means no limit.
 *
 * @param maxIops           read, write and discard requests per second
 * @param maxBytesPerSecond bytes read or written per second (a discard moves no data and costs none)
 */
public record IoLimits(long maxIops, long maxBytesPerSecond) {
    public static final IoLimits NONE = new IoLimits(0, 0);

    public IoLimits {
        if (maxIops < 0 || maxBytesPerSecond < 0) {
            throw new IllegalArgumentException(
                    "I/O limits must not be negative: " + maxIops + " IOPS, " + maxBytesPerSecond + " B/s");
        }
    }

    public boolean unlimited() {
        return maxIops == 0 && maxBytesPerSecond == 0;
    }
}
