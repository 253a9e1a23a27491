package dev.vdisk.engine;

import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.error.PoolLayoutException;
import dev.vdisk.engine.error.PoolLockedException;
import dev.vdisk.engine.error.UnsupportedFormatException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import java.util.UUID;

/**
 * The small files of a pool directory: {@code pool.properties} (where the data space and the journal are; written
 * tmp, fsync, atomic rename, fsync directory) and {@code pool.lock} (an exclusive lock held while the pool is open;
 * the kernel drops it when the process dies, so a killed process never leaves a stale lock). Every file of a pool is
 * created 0600 and every directory 0700 ({@link PrivateFiles}); {@link #makePrivate} tightens an older pool at open.
 *
 * <pre>
 * pool.properties:  format=2  uuid=&lt;pool UUID, as in the superblock&gt;
 *                   data=&lt;data file or device&gt;  device=true|false  journal=&lt;journal directory&gt;
 * </pre>
 *
 * Paths inside the pool directory are stored relative to it (format 2), so that a copy of the directory names its own
 * files and never the original's; paths outside (a device, {@code --journal}) stay absolute. Format 1 stored absolute
 * paths and no UUID; it is still read (relative and absolute paths are both accepted). The pool's data and journal
 * files are locked on their own ({@link PoolLocks}).
 *
 * Deviation: the lock is the JDK's {@link FileChannel#tryLock()}, which is an {@code fcntl} record lock rather than
 * {@code flock}; both exclude other processes, and the JDK also refuses a second lock from the same process.
 */
final class PoolFiles {
    static final String PROPERTIES = "pool.properties";
    static final String LOCK = "pool.lock";
    static final String DATA = "pool.data";
    static final String JOURNAL = "journal";

    /** Where a pool's files are; {@code uuid} is the pool's as recorded here, null if not recorded (format 1). */
    record Layout(Path data, boolean device, Path journal, UUID uuid) {
        Layout(Path data, boolean device, Path journal) {
            this(data, device, journal, null);
        }

        Layout withUuid(UUID id) {
            return new Layout(data, device, journal, id);
        }
    }

    private PoolFiles() {}

    static boolean exists(Path dir) {
        return Files.exists(dir.resolve(PROPERTIES));
    }

    static Layout read(Path dir) {
        Path p = dir.resolve(PROPERTIES);
        if (!Files.exists(p)) {
            throw new VdiskNotFoundException(
                    Files.exists(dir.resolve(DATA))
                            ? PROPERTIES + " is missing in " + dir + " but " + DATA
                                    + " is there; rebuild the file from the"
                                    + " pool's own data with 'vdisk pool import " + dir + "'"
                            : "no pool in " + dir + " (" + PROPERTIES
                                    + " is missing); create one with 'vdisk pool create "
                                    + dir
                                    + " --size SIZE', or if it was a pool on a device or with --journal, rebuild the"
                                    + " file with 'vdisk pool import " + dir + " --device DEV [--journal DIR]'");
        }
        try {
            Properties props = new Properties();
            props.load(new StringReader(Files.readString(p)));
            String format = props.getProperty("format", "?");
            if (!"1".equals(format) && !"2".equals(format)) {
                throw new UnsupportedFormatException(PROPERTIES, parseOr(format), 1, 2);
            }
            String uuid = props.getProperty("uuid");
            return new Layout(
                    dir.resolve(props.getProperty("data")),
                    Boolean.parseBoolean(props.getProperty("device")),
                    dir.resolve(props.getProperty("journal")),
                    uuid == null ? null : UUID.fromString(uuid));
        } catch (IOException | RuntimeException e) {
            if (e instanceof EngineException ee) {
                throw ee;
            }
            throw new CorruptMetadataException(
                    p + " is unreadable (" + e + "); recreate it with the data and journal paths", e);
        }
    }

    private static int parseOr(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static void write(Path dir, Layout layout) throws IOException {
        Properties props = new Properties();
        props.setProperty("format", "2");
        if (layout.uuid() != null) {
            props.setProperty("uuid", layout.uuid().toString());
        }
        props.setProperty("data", stored(dir, layout.data()));
        props.setProperty("device", Boolean.toString(layout.device()));
        props.setProperty("journal", stored(dir, layout.journal()));
        StringWriter w = new StringWriter();
        props.store(w, "vdisk pool layout; do not edit while the pool is open");
        PrivateFiles.replaceDurably(dir.resolve(PROPERTIES), w.toString());
    }

    /**
     * Brings the files of a pool made before they were private to 0600 and its directories to 0700 (logging each
     * change): the pool directory's tree, the data file and the journal directory. A data device is left alone.
     */
    static void makePrivate(Path dir, Layout layout) {
        try {
            PrivateFiles.tightenTree(dir);
            if (!layout.device() && Files.exists(layout.data())) {
                PrivateFiles.tighten(layout.data());
            }
            if (Files.isDirectory(layout.journal())) {
                PrivateFiles.tightenTree(layout.journal());
            }
        } catch (IOException e) {
            throw new EngineIOException("cannot make the files of pool " + dir + " readable by root only: " + e, e);
        }
    }

    /**
     * Refuses a layout that names a data file or journal outside {@code dir} while {@code dir} has its own
     * {@code pool.data} or {@code journal/} with journal files: the directory is a copy whose {@code pool.properties}
     * (format 1, absolute paths) still names the original's files.
     */
    static void refuseCopyNamingOthers(Path dir, Layout layout) {
        Path ownData = dir.resolve(DATA);
        Path ownJournal = dir.resolve(JOURNAL);
        boolean data = !same(layout.data(), ownData) && Files.exists(ownData);
        boolean journal = !same(layout.journal(), ownJournal) && hasJournalFiles(ownJournal);
        if (data || journal) {
            throw new PoolLayoutException(PROPERTIES + " in " + dir + " names " + (data ? "a data file" : "a journal")
                    + " outside the directory, which has its own " + (data ? DATA : JOURNAL + "/") + " (a copy of"
                    + " another pool's directory?); to use this directory's own files move " + PROPERTIES
                    + " aside and run 'vdisk pool import " + dir + "'");
        }
    }

    private static boolean same(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    private static boolean hasJournalFiles(Path journal) {
        if (!Files.isDirectory(journal)) {
            return false;
        }
        try (var s = Files.list(journal)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".log"));
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code path} relative to {@code dir} when it lies inside it, else absolute. */
    static String stored(Path dir, Path path) {
        Path d = dir.toAbsolutePath().normalize();
        Path p = path.toAbsolutePath().normalize();
        return p.startsWith(d) && !p.equals(d) ? d.relativize(p).toString() : p.toString();
    }

    /** The held lock; closing it releases the pool. */
    record Lock(FileChannel channel, FileLock lock) implements AutoCloseable {
        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // the lock goes with the channel either way
            }
        }
    }

    static Lock lock(Path dir) {
        Path p = dir.resolve(LOCK);
        FileChannel ch = null;
        try {
            ch = PrivateFiles.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                ch.close();
                throw new PoolLockedException("pool " + dir + " is already open in this process; close it first");
            }
            if (l == null) {
                String holder = Files.readString(p).trim();
                ch.close();
                throw new PoolLockedException("pool " + dir + " is locked by another process"
                        + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                        + "; stop that process (the node plugin or another vdisk command) and retry");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            return new Lock(ch, l);
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing to do
                }
            }
            throw new EngineIOException("cannot lock " + p + ": " + e + "; check that the directory is writable", e);
        }
    }
}
