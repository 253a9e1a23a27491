package dev.vdisk.csi.server;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * The file system side of a unix socket: what may be removed before binding and after shutdown.
 *
 * <p>A socket left behind by a crashed predecessor is stale (nothing can be listening: the plugin owns the
 * path) and is removed. Anything else at the path is refused, never deleted: a wrong {@code --endpoint} must not
 * cost a user a file or a directory.
 *
 * <p>Whoever can connect to the socket can create, publish and delete volumes, so only the plugin's own user may:
 * the socket is bound inside a fresh 0700 directory beside its path, made 0600 there, and only then renamed into
 * place. A bind straight at the path would leave it, until a chmod, with whatever mode the umask gives.
 *
 * <p>Public for the node plugin's descriptor holder, whose socket is made the same way.
 */
public final class SocketFile {

    /** {@code st_mode & S_IFMT} of a socket (sys/stat.h). */
    private static final int S_IFMT = 0170000;

    private static final int S_IFSOCK = 0140000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SocketFile() {}

    /** Makes the path bindable: creates the parent directory (0700), removes a stale socket, refuses anything else. */
    public static void prepareForBind(Path path) throws IOException {
        if (!Files.isDirectory(path.getParent())) {
            Files.createDirectories(
                    path.getParent(),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        String kind = describe(path);
        if (!kind.equals("socket")) {
            throw new IOException("refusing to bind " + path + ": a " + kind + " is there, not a socket;"
                    + " remove it yourself or choose another path");
        }
        Files.delete(path);
    }

    /**
     * A fresh 0700 directory beside {@code path} to bind in. Its name is 4 characters, so the socket in it
     * ({@code .xyz/s}) is no longer than a socket named {@code csi.sock} beside it: a socket path has at most 107
     * bytes, and kubelet plugin directories are long. {@link #publish} moves the bound socket out and removes it.
     */
    public static Path privateBindDirectory(Path path) throws IOException {
        for (int attempt = 0; ; attempt++) {
            StringBuilder name = new StringBuilder(".");
            for (int i = 0; i < 3; i++) {
                name.append(Character.forDigit(RANDOM.nextInt(36), 36));
            }
            try {
                return Files.createDirectory(
                        path.resolveSibling(name.toString()),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                if (attempt == 20) {
                    throw e;
                }
            }
        }
    }

    /** Makes the socket bound at {@code bound} 0600 and renames it to {@code path} (atomically: never reachable
     * by anyone else at any moment), then removes its private directory. */
    public static void publish(Path bound, Path path) throws IOException {
        Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
        Files.move(bound, path, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(bound.getParent());
    }

    /** Removes the socket after shutdown; leaves anything that is not a socket alone. */
    public static void removeIfSocket(Path path) throws IOException {
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && describe(path).equals("socket")) {
            Files.deleteIfExists(path);
        }
    }

    /** "socket", "regular file", "directory", "symbolic link" or "special file" (fifo, device). */
    public static String describe(Path path) throws IOException {
        BasicFileAttributes attributes =
                Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attributes.isSymbolicLink()) {
            return "symbolic link";
        }
        if (attributes.isDirectory()) {
            return "directory";
        }
        if (attributes.isRegularFile()) {
            return "regular file";
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & S_IFMT) == S_IFSOCK ? "socket" : "special file";
    }
}
