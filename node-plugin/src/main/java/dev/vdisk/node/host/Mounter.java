package dev.vdisk.node.host;

import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.MountTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts with mount(8), which turns the spec's free-form mount_flags into mount(2) flags and data the way users
 * expect; unmounts with umount2(2), whose errno we need (EINVAL = not mounted, EBUSY = in use).
 */
public final class Mounter {
    private static final Logger LOG = LoggerFactory.getLogger(Mounter.class);
    private static final int EINVAL = 22;

    private Mounter() {
    }

    /** {@code mount -t fsType [-o options] device target}. */
    public static void mount(Path device, Path target, String fsType, List<String> options) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("mount", "-t", fsType));
        if (!options.isEmpty()) {
            cmd.add("-o");
            cmd.add(String.join(",", options));
        }
        cmd.add(device.toString());
        cmd.add(target.toString());
        HostCommand.check(cmd.toArray(String[]::new));
    }

    /**
     * Bind-mounts {@code source} (a directory or a device node) onto {@code target}; read-only takes a second step,
     * {@code remount,bind,ro}, because the kernel ignores MS_RDONLY on the first bind. If that step fails the bind is
     * undone, so a read-only request never leaves a writable mount.
     */
    public static void bind(Path source, Path target, boolean readOnly) throws IOException {
        HostCommand.check("mount", "--bind", source.toString(), target.toString());
        if (readOnly) {
            try {
                HostCommand.check("mount", "-o", "remount,bind,ro", target.toString());
            } catch (IOException e) {
                unmountQuietly(target);
                throw e;
            }
        }
    }

    /** Unmounts {@code target}; false if nothing was mounted there. EBUSY and other errors are exceptions. */
    public static boolean unmount(Path target) throws ErrnoException {
        int r = Libc.umount2(target.toString(), 0);
        if (r == EINVAL) {
            return false;
        }
        if (r != 0) {
            throw new ErrnoException("umount2(" + target + ")", r);
        }
        return true;
    }

    /**
     * Detaches {@code target} from the tree now and lets the kernel finish when its last user is gone: for mounts
     * on a dead data path, whose I/O fails anyway and whose users we cannot wait for.
     */
    public static boolean unmountLazily(Path target) {
        int r = Libc.umount2(target.toString(), Libc.MNT_DETACH);
        if (r != 0 && r != EINVAL) {
            LOG.warn("lazy unmount of {} failed: {}", target, Libc.strerror(r));
        }
        return r == 0;
    }

    /** For undo paths: unmount, falling back to a lazy unmount, never throwing. */
    public static void unmountQuietly(Path target) {
        try {
            unmount(target);
        } catch (ErrnoException e) {
            LOG.warn("unmounting {} failed ({}), detaching it lazily", target, e.getMessage());
            unmountLazily(target);
        }
    }

    public static boolean isMountPoint(Path path) {
        return MountTable.isMountPoint(path);
    }
}
