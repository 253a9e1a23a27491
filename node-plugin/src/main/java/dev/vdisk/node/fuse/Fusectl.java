package dev.vdisk.node.fuse;

import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.MountTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The FUSE control filesystem ({@code /sys/fs/fuse/connections}): names a mount's connection and aborts it. */
final class Fusectl {
    private static final Logger LOG = LoggerFactory.getLogger(Fusectl.class);
    private static final Path FUSECTL = Path.of("/sys/fs/fuse/connections");

    private Fusectl() {}

    /** The fusectl name of the connection mounted at {@code mountPoint}: the minor number of its anonymous device. */
    static long connectionId(Path mountPoint) throws IOException {
        long dev = ((Number) Files.getAttribute(mountPoint, "unix:dev")).longValue();
        return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    }

    /** Aborts the connection (mounting fusectl if needed): every reader gets ENODEV. No-op for a negative id. */
    static void abort(long connection) {
        if (connection < 0) {
            return;
        }
        try {
            if (!Files.exists(FUSECTL.resolve("" + connection))) {
                if (!MountTable.isMountPoint(FUSECTL)) {
                    Libc.checkedMount("fusectl", FUSECTL.toString(), "fusectl", 0, "");
                }
            }
            Files.writeString(FUSECTL.resolve(connection + "/abort"), "1");
        } catch (IOException e) {
            LOG.error("aborting FUSE connection {} failed", connection, e);
        }
    }
}
