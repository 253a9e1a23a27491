package dev.vdisk.node.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * The one directory tree where the node plugin mounts, creates and deletes: the kubelet's (default
 * {@code /var/lib/kubelet}). A staging or target path from a request is accepted only if it is absolute, lies
 * strictly inside that root after normalisation (so {@code ..} cannot climb out), and no existing component
 * below the root is a symbolic link (so a link cannot redirect a mount or a delete elsewhere). The root itself
 * may be a link (a relocated kubelet directory); it is resolved once, at start. Inside the kubelet's own
 * directories ({@code pods}, {@code plugins}, ...) a path must be as deep as the CSI layouts, so that no mount can
 * cover a pod's directory, the plugins' sockets or the kubelet's state.
 *
 * <p>This check is on the name only; a link created after it is caught by {@link KubeletTree}, which opens the
 * path without following links and mounts onto what it opened.
 */
public final class KubeletPaths {
    /** The kubelet's own directories at the top of its tree. */
    private static final Set<String> KUBELET_OWNED =
            Set.of("pods", "plugins", "plugins_registry", "pod-resources", "device-plugins", "checkpoints", "pki");
    /**
     * Names below the kubelet directory of the shallowest path the kubelet hands a CSI driver,
     * {@code plugins/kubernetes.io/csi/volumeDevices/staging/<spec>}; a mount target is
     * {@code pods/<uid>/volumes/kubernetes.io~csi/<name>/mount} (6), a staging mount
     * {@code plugins/kubernetes.io/csi/<driver>/<hash>/globalmount} (6).
     */
    private static final int MIN_DEPTH = 5;
    /** Inside a pod's directory only these are the volumes'; containers, etc-hosts and the rest are the kubelet's. */
    private static final Set<String> POD_VOLUME_DIRS = Set.of("volumes", "volumeDevices");

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
     * @throws IllegalArgumentException (INVALID_ARGUMENT) if it is relative, outside the root, one of the kubelet's
     *                                  own directories, or goes through a link
     */
    public Path resolve(String field, String value) {
        Path p = Path.of(value);
        if (!p.isAbsolute()) {
            throw new IllegalArgumentException(field + " " + value + " is not an absolute path");
        }
        p = p.normalize();
        Path relative = inside(p);
        if (relative == null) {
            boolean itself = p.equals(root) || p.equals(realRoot);
            throw new IllegalArgumentException(field + " " + value
                    + (itself
                            ? " is the kubelet directory itself, not a volume's path"
                            : " is outside the kubelet directory " + root + " (see --kubelet-dir)"));
        }
        checkLayout(field, value, relative);
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

    /**
     * A volume_path (NodeGetVolumeStats, NodeExpandVolume) in the form {@link #resolve} records paths in, for
     * looking it up among a volume's paths; no check, since a path that is not one of them is NOT_FOUND anyway.
     */
    public Path normalise(String value) {
        Path p = Path.of(value).normalize();
        return p.startsWith(root) && !p.startsWith(realRoot) ? realRoot.resolve(root.relativize(p)) : p;
    }

    /** The root as configured (absolute, normalised), for messages. */
    Path configuredRoot() {
        return root;
    }

    /**
     * {@code p} (absolute, normalised) relative to the root as resolved or as configured; null unless strictly
     * inside it.
     */
    Path inside(Path p) {
        if (p.startsWith(realRoot) && !p.equals(realRoot)) {
            return realRoot.relativize(p);
        }
        if (p.startsWith(root) && !p.equals(root)) {
            return root.relativize(p);
        }
        return null;
    }

    private static void checkLayout(String field, String value, Path relative) {
        String top = relative.getName(0).toString();
        boolean shallow = KUBELET_OWNED.contains(top) && relative.getNameCount() < MIN_DEPTH;
        boolean notAVolume = top.equals("pods")
                && !shallow
                && !POD_VOLUME_DIRS.contains(relative.getName(2).toString());
        if (shallow || notAVolume) {
            throw new IllegalArgumentException(
                    field + " " + value + " is not a volume's path but the kubelet's own"
                            + " (a volume's lies deeper, e.g. <kubelet-dir>/pods/<uid>/volumes/kubernetes.io~csi/<name>/mount)");
        }
    }
}
