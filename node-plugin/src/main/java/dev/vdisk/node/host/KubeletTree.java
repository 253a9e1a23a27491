package dev.vdisk.node.host;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.PathFd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files and mounts inside the kubelet directory, reached without following links: a path is opened from the root
 * with {@link PathFd#openBeneath} (the kernel refuses a link anywhere in it, in the same walk that finds the file),
 * missing directories are created one name at a time inside a directory already opened, and mounts are made onto
 * and removed through what was opened. So a directory swapped for a link between the request's check
 * ({@link KubeletPaths#resolve}) and the mount cannot send the mount elsewhere: the path checked is the path mounted.
 * Paths given here are absolute and inside the root (as {@link KubeletPaths#resolve} returns them).
 */
public final class KubeletTree {
    /** New directories: only the plugin (root) looks inside; pods see the mounts, not these directories. */
    private static final int DIR_MODE = 0700;

    private static final int FILE_MODE = 0600;

    private final KubeletPaths paths;

    public KubeletTree(Path root) {
        this.paths = new KubeletPaths(root);
    }

    /** An opened file that this call created, or that was there already. */
    public record OpenedFile(PathFd fd, boolean created) {}

    /** Opens the directory {@code path}, creating what is missing of it; for mounting onto (staging or target). */
    public PathFd directory(String field, Path path) throws IOException {
        Path relative = relative(path);
        try (PathFd top = openRoot()) {
            try {
                return top.openBeneath(relative.toString(), Libc.O_DIRECTORY, 0);
            } catch (ErrnoException e) {
                if (e.errno() != Libc.ENOENT) {
                    throw refusal(field, path, e);
                }
            }
        }
        PathFd at = openRoot();
        try {
            for (Path name : relative) {
                int made = at.mkdir(name.toString(), DIR_MODE);
                if (made != 0 && made != Libc.EEXIST) {
                    throw new ErrnoException("mkdirat(" + name + ")", made);
                }
                PathFd next = at.openBeneath(name.toString(), Libc.O_DIRECTORY, 0);
                at.close();
                at = next;
            }
            return at;
        } catch (ErrnoException e) {
            at.close();
            throw refusal(field, path, e);
        }
    }

    /**
     * Opens the file {@code path}, creating it if missing, for a block volume's bind mount. Its parent must exist
     * (spec, NodePublishVolume: "The CO SHALL ensure that the parent directory of this path exists").
     */
    public OpenedFile file(String field, Path path) throws IOException {
        Path relative = relative(path);
        try (PathFd parent = parent(field, path, relative)) {
            String name = relative.getFileName().toString();
            try {
                return new OpenedFile(
                        parent.openBeneath(name, Libc.O_CREAT | Libc.O_EXCL | Libc.O_WRONLY, FILE_MODE), true);
            } catch (ErrnoException e) {
                if (e.errno() != Libc.EEXIST) {
                    throw refusal(field, path, e);
                }
            }
            PathFd existing;
            try {
                existing = parent.openBeneath(name, 0, 0);
            } catch (ErrnoException e) {
                throw refusal(field, path, e);
            }
            if (!Files.isRegularFile(Path.of(existing.procPath()))) {
                existing.close();
                throw new IllegalArgumentException(field + " " + path + " exists and is not a regular file; a block"
                        + " volume is published onto a file");
            }
            return new OpenedFile(existing, false);
        }
    }

    /** Opens an existing path (following into whatever is mounted on it); for the source of a bind mount. */
    public PathFd existing(String field, Path path) throws IOException {
        try (PathFd top = openRoot()) {
            return top.openBeneath(relative(path).toString(), 0, 0);
        } catch (ErrnoException e) {
            throw refusal(field, path, e);
        }
    }

    /**
     * Unmounts the top mount on {@code path} with umount2(2) through its opened parent and
     * {@code UMOUNT_NOFOLLOW}, so never through a link. Returns 0, or the errno: EINVAL when nothing is mounted
     * there (also when the path is missing or is a link), EBUSY, ...
     */
    public int unmount(String field, Path path, boolean lazy) throws IOException {
        Path relative = relative(path);
        try (PathFd parent = parentOrNull(field, path, relative)) {
            if (parent == null) {
                return Libc.EINVAL;
            }
            int r = Libc.umount2(
                    parent.procPath() + "/" + relative.getFileName(),
                    Libc.UMOUNT_NOFOLLOW | (lazy ? Libc.MNT_DETACH : 0));
            return r == Libc.ENOENT ? Libc.EINVAL : r;
        }
    }

    /**
     * Removes the file or empty directory {@code path} (a link there is removed, not followed); false if a
     * directory was not empty. A missing path is fine.
     */
    public boolean delete(String field, Path path) throws IOException {
        Path relative = relative(path);
        try (PathFd parent = parentOrNull(field, path, relative)) {
            if (parent == null) {
                return true;
            }
            String name = relative.getFileName().toString();
            int r = parent.unlink(name, false);
            if (r == Libc.EISDIR) {
                r = parent.unlink(name, true);
            }
            if (r == Libc.ENOTEMPTY || r == Libc.EBUSY) {
                return false;
            }
            if (r != 0 && r != Libc.ENOENT) {
                throw new ErrnoException("unlinkat(" + path + ")", r);
            }
            return true;
        }
    }

    private PathFd openRoot() throws ErrnoException {
        return PathFd.open(paths.root(), Libc.O_DIRECTORY);
    }

    private PathFd parent(String field, Path path, Path relative) throws IOException {
        try (PathFd top = openRoot()) {
            Path parent = relative.getParent();
            return top.openBeneath(parent == null ? "" : parent.toString(), Libc.O_DIRECTORY, 0);
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOENT) {
                throw new AgentException(
                        AgentReason.FAILED_PRECONDITION,
                        "the parent directory of " + field + " " + path
                                + " does not exist; the CO creates it before NodePublishVolume");
            }
            throw refusal(field, path, e);
        }
    }

    /** The opened parent, or null when it is missing (then nothing can be mounted there). */
    private PathFd parentOrNull(String field, Path path, Path relative) throws IOException {
        try (PathFd top = openRoot()) {
            Path parent = relative.getParent();
            return top.openBeneath(parent == null ? "" : parent.toString(), Libc.O_DIRECTORY, 0);
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOENT || e.errno() == Libc.ENOTDIR) {
                return null;
            }
            throw refusal(field, path, e);
        }
    }

    private Path relative(Path path) {
        Path p = path.toAbsolutePath().normalize();
        Path relative = paths.inside(p);
        if (relative == null) {
            throw new IllegalArgumentException(p + " is outside the kubelet directory " + paths.configuredRoot());
        }
        return relative;
    }

    /** What a failed open means for the request: a link on the way, a file where a directory belongs, ... */
    private static IOException refusal(String field, Path path, ErrnoException e) {
        return switch (e.errno()) {
            case Libc.ELOOP, Libc.EXDEV ->
                throw new IllegalArgumentException(field + " " + path + " goes through a"
                        + " symbolic link; refusing to follow links inside the kubelet directory");
            case Libc.ENOTDIR ->
                throw new IllegalArgumentException(field + " " + path + " (or a directory above it)"
                        + " exists and is not a directory; a mount volume is staged and published onto a directory");
            default -> e;
        };
    }
}
