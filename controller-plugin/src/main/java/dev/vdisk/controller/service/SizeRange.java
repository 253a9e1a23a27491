package dev.vdisk.controller.service;

import static dev.vdisk.api.agent.VolumeAgent.SIZE_GRANULARITY;

import csi.v1.CapacityRange;

/**
 * A capacity_range (spec: 0 means unset; neither may be negative) turned into a volume size, rounded up to the
 * agent's granularity ({@link dev.vdisk.api.agent.VolumeAgent#SIZE_GRANULARITY}).
 */
record SizeRange(long requiredBytes, long limitBytes) {

    /** What CreateVolume gives when the range sets no size (spec: "the Plugin MAY choose an implementation-defined capacity"). */
    static final long DEFAULT_SIZE = 1L << 30;

    static SizeRange of(CapacityRange range) {
        if (range.getRequiredBytes() < 0 || range.getLimitBytes() < 0) {
            // spec, CapacityRange: "The value of this field MUST NOT be negative"
            throw new IllegalArgumentException("capacity_range must not be negative: required_bytes "
                    + range.getRequiredBytes() + ", limit_bytes " + range.getLimitBytes());
        }
        return new SizeRange(range.getRequiredBytes(), range.getLimitBytes());
    }

    /**
     * The size to create: required_bytes rounded up, or the default size (at most the limit rounded down).
     *
     * @throws CapacityOutOfRangeException when the rounded size exceeds limit_bytes or {@code maxBytes}
     */
    long size(long maxBytes) {
        long size;
        if (requiredBytes > 0) {
            size = roundUp(requiredBytes);
            if (limitBytes > 0 && size > limitBytes) {
                throw new CapacityOutOfRangeException("capacity_range: required_bytes " + requiredBytes
                        + " rounds up to " + size + " (volumes are multiples of " + SIZE_GRANULARITY
                        + " bytes), above limit_bytes " + limitBytes);
            }
        } else {
            size = limitBytes > 0
                    ? Math.min(DEFAULT_SIZE, limitBytes / SIZE_GRANULARITY * SIZE_GRANULARITY)
                    : DEFAULT_SIZE;
            if (size == 0) {
                throw new CapacityOutOfRangeException("capacity_range: limit_bytes " + limitBytes + " is below the"
                        + " smallest volume, " + SIZE_GRANULARITY + " bytes");
            }
        }
        if (size > maxBytes) {
            throw new CapacityOutOfRangeException("capacity_range: " + size + " bytes is more than the largest volume"
                    + " a pool here can hold, " + maxBytes + " bytes");
        }
        return size;
    }

    /**
     * {@link #size(long)}, raised to the smallest volume {@code min}'s file system can be made on (spec,
     * CapacityRange: the plugin may create a volume larger than required_bytes as long as it is within
     * limit_bytes).
     *
     * @throws CapacityOutOfRangeException also when limit_bytes is below that smallest size
     */
    long size(FileSystemMinimum min, long maxBytes) {
        long size = size(maxBytes);
        if (size >= min.bytes()) {
            return size;
        }
        long raised = roundUp(min.bytes());
        if (limitBytes > 0 && raised > limitBytes || raised > maxBytes) {
            throw new CapacityOutOfRangeException("capacity_range: " + min.fsType() + " needs a volume of at least "
                    + raised + " bytes (" + (raised >> 20) + " MiB), above "
                    + (limitBytes > 0 && raised > limitBytes
                            ? "limit_bytes " + limitBytes
                            : "the largest volume a pool here can hold, " + maxBytes + " bytes")
                    + "; allow a larger volume or use another file system");
        }
        return raised;
    }

    /** Whether an existing volume of {@code sizeBytes} satisfies this range (CreateVolume's idempotency check). */
    boolean admits(long sizeBytes) {
        return sizeBytes >= requiredBytes && (limitBytes == 0 || sizeBytes <= limitBytes);
    }

    static long roundUp(long bytes) {
        long rounded = (bytes + SIZE_GRANULARITY - 1) / SIZE_GRANULARITY * SIZE_GRANULARITY;
        return rounded < 0 ? Long.MAX_VALUE / SIZE_GRANULARITY * SIZE_GRANULARITY : rounded;
    }

    @Override
    public String toString() {
        return "[" + requiredBytes + ", " + (limitBytes == 0 ? "unlimited" : Long.toString(limitBytes)) + "]";
    }
}
