package dev.vdisk.node.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The one directory tree where the node plugin mounts, creates and deletes: the kubelet's (default
 * {@code /var/lib/kubelet}). A staging or target path from a request is accepted only if it is absolute, lies
 * strictly inside that root after normalisation (so {@code ..} cannot climb out), and no existing component
 * below the root is a symbolic link (so a link cannot redirect a mount or a delete elsewhere). The root itself
 * may be a link (a relocated kubelet directory); it is resolved once, at start.
 *
 * <p>Limit: the check and the mount are two steps; a process that can create links inside the kubelet directory
 * between them could still redirect a mount. Only root and the kubelet write there.
 */
public final class KubeletPaths {
    private final Path root;
    private final Path realRoot;

    public KubeletPaths(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
            this.realRoot = this.root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("kubelet directory " + root + " is not usable: " + e.getMessage(), e);
        }
    }

    public Path root() {
        return realRoot;
    }

    /**
     * Checks a path from a request and returns it with the root resolved.
     *
     * @param field the request field, for the message
     * @throws IllegalArgumentException (INVALID_ARGUMENT) if it is relative, outside the root, or goes through a link
     */
    public Path resolve(String field, String value) {
        Path p = Path.of(value);
        if (!p.isAbsolute()) {
            throw new IllegalArgumentException(field + " " + value + " is not an absolute path");
        }
        p = p.normalize();
        Path relative;
        if (p.startsWith(realRoot) && !p.equals(realRoot)) {
            relative = realRoot.relativize(p);
        } else if (p.startsWith(root) && !p.equals(root)) {
            relative = root.relativize(p);
        } else {
            throw new IllegalArgumentException(field + " " + value + " is outside the kubelet directory " + root
                    + " (see --kubelet-dir)");
        }
        Path at = realRoot;
        for (Path name : relative) {
            at = at.resolve(name);
            if (Files.isSymbolicLink(at)) {
                throw new IllegalArgumentException(field + " " + value + " goes through the symbolic link " + at
                        + "; refusing to follow links inside the kubelet directory");
            }
            if (!Files.exists(at, LinkOption.NOFOLLOW_LINKS)) {
                break;
            }
        }
        return realRoot.resolve(relative);
    }
}
