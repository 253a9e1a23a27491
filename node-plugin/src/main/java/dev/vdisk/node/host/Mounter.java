package dev.vdisk.node.host;

import dev.vdisk.node.sys.BindMount;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.MountTable;
import dev.vdisk.node.sys.PathFd;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts a file system with mount(8), which turns the spec's free-form mount_flags into mount(2) flags and data the
 * way users expect, onto an opened directory ({@code /proc/<pid>/fd/N}, with {@code --no-canonicalize} so mount(8)
 * does not turn it back into a path); bind-mounts with {@link BindMount} onto an opened file or directory; unmounts
 * with umount2(2), whose errno we need (EINVAL = not mounted, EBUSY = in use).
 */
public final class Mounter {
    private static final Logger LOG = LoggerFactory.getLogger(Mounter.class);
    private static final int EINVAL = 22;

    private Mounter() {}

    /**
     * {@code mount --no-canonicalize -t fsType [-o options] device /proc/<pid>/fd/N}; a failure names
     * {@code targetName} (the request's path), not the descriptor.
     */
    public static void mount(Path device, PathFd target, String targetName, String fsType, List<String> options)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of("mount", "--no-canonicalize", "-t", fsType));
        if (!options.isEmpty()) {
            cmd.add("-o");
            cmd.add(String.join(",", options));
        }
        cmd.add(device.toString());
        cmd.add(target.procPathForChild());
        HostCommand.Result r = HostCommand.run(cmd.toArray(String[]::new));
        if (r.exitCode() != 0) {
            throw new IOException("mounting " + fsType + " at " + targetName + " failed: "
                    + HostCommand.lastLine(r.output()).replace(target.procPathForChild(), targetName));
        }
    }

    /**
     * Bind-mounts {@code source} (a mounted directory or a device node) onto {@code target}, read-only before it
     * becomes visible if asked.
     */
    public static void bind(PathFd source, PathFd target, boolean readOnly) throws IOException {
        BindMount.attach(source, target, readOnly);
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
