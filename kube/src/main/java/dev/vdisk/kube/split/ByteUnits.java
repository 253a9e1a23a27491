package dev.vdisk.kube.split;

import dev.vdisk.cli.shared.ByteSize;

/**
 * Byte counts and rates for people, in binary units: {@code 1.5 GiB}, {@code 200MiB/s}; the split annotations' and
 * events' spelling of {@link ByteSize}, whose syntax and rendering these are.
 */
public final class ByteUnits {

    private ByteUnits() {}

    /** {@code 512 B}, {@code 1.0 KiB}, {@code 10.0 GiB}: {@link ByteSize#toFixedString()}. */
    public static String format(long bytes) {
        return new ByteSize(bytes).toFixedString();
    }

    /**
     * A rate such as {@code 200MiB/s}, {@code 200M}, {@code 1.5GiB/s} or {@code 1048576} (bytes per second; K, M,
     * G, T are binary, as the rest of vdisk-csi): {@link ByteSize#parsePerSecond}.
     *
     * @throws IllegalArgumentException with what to write instead
     */
    public static long parseRate(String text) {
        return ByteSize.parsePerSecond(text).bytes();
    }
}
