package dev.vdisk.node.handover;

import dev.vdisk.csi.server.SocketFile;
import dev.vdisk.engine.io.PrivateFiles;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.UnixSockets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link DescriptorHolder}'s listening socket: bound only in a private directory and only where no live holder
 * serves, published at its path whole, and removed at stop only if the path is still this one's.
 *
 * @param path     where it is published (absolute)
 * @param key      the dev/inode of the socket file this holder published: the only one it may remove at stop
 * @param listenFd the listening socket; its owner (the holder's serving thread) closes it
 */
record HolderSocket(Path path, Object key, int listenFd) {
    private static final Logger LOG = LoggerFactory.getLogger(HolderSocket.class);

    /**
     * Binds {@code socket} (0600, directory 0700; a stale socket left by a dead holder is replaced) and listens; the
     * descriptor is closed again if anything fails.
     */
    static HolderSocket bind(Path socket) throws IOException {
        Path path = socket.toAbsolutePath().normalize();
        checkPrivateDirectory(path.getParent());
        refuseIfServed(path);
        SocketFile.prepareForBind(path);
        int listenFd = UnixSockets.seqpacket(true);
        try {
            Path bindDirectory = SocketFile.privateBindDirectory(path);
            Path bound = bindDirectory.resolve("s");
            try {
                UnixSockets.bind(listenFd, bound);
                UnixSockets.listen(listenFd, 64);
                Object key = fileKey(bound);
                SocketFile.publish(bound, path);
                return new HolderSocket(path, key, listenFd);
            } finally {
                Files.deleteIfExists(bound);
                Files.deleteIfExists(bindDirectory);
            }
        } catch (IOException | RuntimeException e) {
            Libc.close(listenFd);
            throw e;
        }
    }

    /**
     * Removes the socket file if it is still the one this holder published: once this holder stops listening, a
     * successor may replace the path (a socket nobody listens on is stale), and its socket must not be removed.
     */
    void removeIfOurs() {
        try {
            if (key.equals(fileKey(path))) {
                Files.delete(path);
            }
        } catch (NoSuchFileException e) {
            // removed by hand: nothing to do
        } catch (IOException e) {
            LOG.warn("fd holder: cannot remove {}: {}", path, e.getMessage());
        }
    }

    private static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                .fileKey();
    }

    /**
     * A second holder must not take the path of a live one: the first would keep its descriptors where no agent can
     * reach them. Only a socket nobody listens on (ECONNREFUSED) is a dead holder's, and is replaced; a holder that
     * is not accepting (EAGAIN: its backlog is full) is alive.
     */
    private static void refuseIfServed(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)
                || !SocketFile.describe(path).equals("socket")) {
            return;
        }
        try (HolderConnection live = HolderConnection.open(path)) {
            throw new IOException("another fd holder is serving " + path + "; stop it first (its descriptors would"
                    + " be out of every agent's reach)");
        } catch (ErrnoException e) {
            if (e.errno() != UnixSockets.ECONNREFUSED && e.errno() != Libc.ENOENT) {
                throw new IOException(
                        "another fd holder is serving " + path + " but not accepting (" + e.getMessage()
                                + "); stop it first",
                        e);
            }
        }
    }

    /** The socket's directory must be ours and closed to everyone else; created 0700 if missing. */
    private static void checkPrivateDirectory(Path directory) throws IOException {
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            PrivateFiles.createDirectories(directory);
        }
        PosixFileAttributes attributes =
                Files.readAttributes(directory, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> permissions = attributes.permissions();
        boolean open = permissions.stream()
                .anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"));
        int ownerUid = (Integer) Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isDirectory() || open || ownerUid != Libc.geteuid()) {
            throw new IOException("the fd holder's socket needs a directory of its own, mode 0700, owned by uid "
                    + Libc.geteuid() + "; " + directory + " is not: use e.g. "
                    + directory.resolve("fd-holder").resolve(Path.of("holder.sock")));
        }
    }
}
