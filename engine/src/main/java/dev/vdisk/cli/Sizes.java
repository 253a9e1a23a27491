package dev.vdisk.cli;

import dev.vdisk.cli.shared.ByteSize;

/**
 * The benchmark programs' sizes until they move to their own module.
 *
 * @deprecated use {@link ByteSize}: the same syntax and the same rendering; this delegate goes with the benchmarks.
 */
@Deprecated
final class Sizes {

    private Sizes() {}

    static long parse(String s) {
        return ByteSize.parse(s).bytes();
    }

    static String format(long bytes) {
        return new ByteSize(bytes).toString();
    }
}
