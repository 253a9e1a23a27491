package dev.vdisk.node.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the kernel must allow before a FUSE connection can use io_uring: the fuse module's {@code enable_uring}
 * parameter (off by default; we turn it on, which needs root) and io_uring itself
 * ({@code kernel.io_uring_disabled}); and how many queues it will want (one per possible CPU).
 */
final class UringSupport {
    static final Path ENABLE_URING = Path.of("/sys/module/fuse/parameters/enable_uring");
    private static final Path IO_URING_DISABLED = Path.of("/proc/sys/kernel/io_uring_disabled");
    private static final Path POSSIBLE_CPUS = Path.of("/sys/devices/system/cpu/possible");

    private UringSupport() {}

    /** Makes sure FUSE over io_uring is enabled; throws, saying why, if it cannot be. */
    static void enable() throws IOException {
        if (!Files.exists(ENABLE_URING)) {
            throw new IOException("FUSE over io_uring is not available: " + ENABLE_URING + " does not exist (kernel "
                    + "without CONFIG_FUSE_IO_URING, or older than 6.14)");
        }
        if (Files.exists(IO_URING_DISABLED)
                && !Files.readString(IO_URING_DISABLED).strip().equals("0")) {
            throw new IOException("FUSE over io_uring is not available: io_uring is disabled (" + IO_URING_DISABLED
                    + " = " + Files.readString(IO_URING_DISABLED).strip() + ")");
        }
        if (enabled()) {
            return;
        }
        try {
            Files.writeString(ENABLE_URING, "Y");
        } catch (IOException e) {
            throw new IOException(
                    "FUSE over io_uring is off (" + ENABLE_URING + " = N) and could not be turned on "
                            + "(needs root): " + e.getMessage(),
                    e);
        }
        if (!enabled()) {
            throw new IOException("FUSE over io_uring is off: writing Y to " + ENABLE_URING + " did not stick");
        }
    }

    static boolean enabled() throws IOException {
        return Files.readString(ENABLE_URING).strip().equals("Y");
    }

    /** The kernel's queue count, num_possible_cpus(): the CPUs in the possible mask ("0-1", "0-3,8-11"). */
    static int possibleCpus() throws IOException {
        int count = 0;
        for (String range : Files.readString(POSSIBLE_CPUS).strip().split(",")) {
            String[] ends = range.split("-");
            int from = Integer.parseInt(ends[0]);
            int to = ends.length > 1 ? Integer.parseInt(ends[1]) : from;
            count += to - from + 1;
        }
        return count;
    }
}
