package dev.vdisk.node.fuse;

import dev.vdisk.engine.io.PrivateFiles;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.MountTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Readies a session's mount point before the mount and unmounts it at the end, whatever still holds it. */
final class FuseMountPoint {
    private static final Logger LOG = LoggerFactory.getLogger(FuseMountPoint.class);

    private FuseMountPoint() {}

    /**
     * Returns {@code mountPoint} absolute, created 0700 if missing, with a stale mount left there by a dead process
     * detached.
     */
    static Path prepare(Path mountPoint) throws IOException {
        Path target = mountPoint.toAbsolutePath().normalize();
        PrivateFiles.createDirectories(target);
        warnIfOthersMayEnter(target.getParent());
        for (MountTable.Mount m : MountTable.mounts()) {
            if (m.mountPoint().equals(target)) {
                LOG.warn("{} is already mounted ({}), detaching it", target, m.fsType());
                int r = Libc.umount2(target.toString(), Libc.MNT_DETACH);
                if (r != 0) {
                    throw new ErrnoException("umount2(" + target + ", MNT_DETACH)", r);
                }
            }
        }
        return target;
    }

    /**
     * The images are guarded by their modes and our own check of the caller either way; a parent only root may enter
     * keeps everyone else from even naming them. The parent is the caller's (the node agent makes its state
     * directory 0700), so it is not changed here.
     */
    private static void warnIfOthersMayEnter(Path parent) throws IOException {
        int mode = (Integer) Files.getAttribute(parent, "unix:mode");
        if ((mode & 0077) != 0) {
            LOG.warn(
                    "{} (mode {}) lets users other than root reach the FUSE mount below it; make it 0700",
                    parent,
                    String.format("%04o", mode & 07777));
        }
    }

    /**
     * Unmounts; if an image is still open (busy), detaches lazily and aborts {@code connection}, so that nothing
     * stays mounted either way.
     */
    static void unmount(Path mountPoint, long connection) {
        if (!MountTable.isMountPoint(mountPoint)) {
            return;
        }
        int r = Libc.umount2(mountPoint.toString(), 0);
        if (r == Libc.EBUSY) {
            LOG.warn("{} is busy (an image is still open): detaching lazily and aborting the connection", mountPoint);
            r = Libc.umount2(mountPoint.toString(), Libc.MNT_DETACH);
            Fusectl.abort(connection);
        }
        if (r != 0) {
            LOG.error("unmounting {} failed: {}", mountPoint, Libc.strerror(r));
        }
    }
}
