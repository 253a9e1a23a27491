package dev.vdisk.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files and directories only root may read: every file the engine, the node agent and the CLI create is 0600 and
 * every directory 0700 from the moment it exists (the mode is given to open(2)/mkdir(2), never set afterwards, so
 * there is no window in which the umask's 0644/0755 lets another user open it). Pools and state directories made
 * before this rule are brought to it by {@link #tightenTree} when they are opened.
 *
 * <p>Pool data holds every volume's bytes, and journals, attributes and state files name volumes and their
 * paths: a reader who is not root must get nothing from them.
 */
public final class PrivateFiles {
    private static final Logger LOG = LoggerFactory.getLogger(PrivateFiles.class);
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final FileAttribute<Set<PosixFilePermission>> FILE = PosixFilePermissions.asFileAttribute(FILE_MODE);
    private static final FileAttribute<Set<PosixFilePermission>> DIR = PosixFilePermissions.asFileAttribute(DIR_MODE);
    private static final int STICKY = 01000, OTHERS_WRITE = 0002;
    private static final Set<PosixFilePermission> GROUP_AND_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE);

    private PrivateFiles() {}

    /** Creates {@code dir} and its missing parents, each 0700; directories that exist are left as they are. */
    public static Path createDirectories(Path dir) throws IOException {
        return Files.createDirectories(dir, DIR);
    }

    /** {@link FileChannel#open}; a file this call creates is 0600. */
    public static FileChannel open(Path file, OpenOption... options) throws IOException {
        return FileChannel.open(file, Set.of(options), FILE);
    }

    /** Creates {@code file} 0600 if it is missing; an existing file is left as it is. */
    public static void createIfMissing(Path file) throws IOException {
        open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE).close();
    }

    /** Replaces the contents of {@code file} with {@code text} in UTF-8 (0600 if created; not synced). */
    public static void writeString(Path file, CharSequence text) throws IOException {
        try (FileChannel ch =
                open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = StandardCharsets.UTF_8.encode(text.toString());
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
        }
    }

    /**
     * Replaces {@code file} with {@code text} in UTF-8 so that a crash leaves the old or the new contents, never a
     * mix: writes {@code <file>.tmp} (0600), fsyncs it, renames it over {@code file} and fsyncs the directory (without
     * that the rename itself may be lost).
     */
    public static void replaceDurably(Path file, CharSequence text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch =
                open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = StandardCharsets.UTF_8.encode(text.toString());
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(file.toAbsolutePath().getParent());
    }

    /** Fsyncs directory {@code dir}, so that entries created, renamed or deleted in it survive a crash. */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /**
     * Takes every group and other permission from {@code path} (a regular file or directory; a symbolic link, device
     * or socket is left alone) and logs the change. Returns whether the mode changed.
     */
    public static boolean tighten(Path path) throws IOException {
        PosixFileAttributes attrs = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isRegularFile() && !attrs.isDirectory()) {
            return false;
        }
        Set<PosixFilePermission> old = attrs.permissions();
        Set<PosixFilePermission> tight = EnumSet.noneOf(PosixFilePermission.class);
        tight.addAll(old);
        tight.removeAll(GROUP_AND_OTHERS);
        if (tight.equals(old)) {
            return false;
        }
        Files.setPosixFilePermissions(path, tight);
        LOG.info("tightened {} from {} to {}: only root may read vdisk files", path, octal(old), octal(tight));
        return true;
    }

    /**
     * {@link #tighten}s {@code dir} and everything under it, without following symbolic links and without entering
     * another filesystem mounted below it (a FUSE mount in a state directory is not ours to walk). A directory that
     * everyone may write or that has the sticky bit (/tmp, given by mistake) is shared, not ours: it is left alone
     * with a warning. Returns how many paths changed.
     */
    public static int tightenTree(Path dir) throws IOException {
        int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & (STICKY | OTHERS_WRITE)) != 0) {
            LOG.warn(
                    "not tightening {} (mode {}): a shared directory; give vdisk a directory of its own",
                    dir,
                    String.format("%04o", mode & 07777));
            return 0;
        }
        Object device = Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        int[] changed = {0};
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (!Objects.equals(device, Files.getAttribute(d, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                changed[0] += tighten(d) ? 1 : 0;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                changed[0] += tighten(file) ? 1 : 0;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                // a dead FUSE mount (ENOTCONN) or a file removed meanwhile: nothing of ours to tighten there
                LOG.debug("not tightening {}: {}", file, e.toString());
                return FileVisitResult.CONTINUE;
            }
        });
        return changed[0];
    }

    /** The permissions as an octal mode, e.g. 0644. */
    static String octal(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            mode |= 0400 >> p.ordinal(); // the enum runs OWNER_READ .. OTHERS_EXECUTE, highest bit first
        }
        return String.format("%04o", mode);
    }
}
