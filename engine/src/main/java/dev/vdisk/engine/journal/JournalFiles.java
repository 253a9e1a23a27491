package dev.vdisk.engine.journal;

import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A journal directory's files: their names (the first record's sequence number, 20 digits, {@code .log}), their
 * headers, and the fsyncs of a file and of the directory that survive an interrupt.
 */
final class JournalFiles {
    static final String SUFFIX = ".log";
    /** Where a file's first record starts: after its header. Scans and truncations start here. */
    static final int FIRST_RECORD = JournalFileHeader.LENGTH;

    private JournalFiles() {}

    /** The journal files in {@code dir}, oldest first. */
    static List<Path> list(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().forEach(out::add);
        }
        return out;
    }

    static String nameOf(long firstSeq) {
        return String.format("%020d%s", firstSeq, SUFFIX);
    }

    static Path pathFor(Path dir, long firstSeq) {
        return dir.resolve(nameOf(firstSeq));
    }

    static long firstSeqOf(Path p) throws IOException {
        String n = p.getFileName().toString();
        try {
            return Long.parseLong(n.substring(0, n.length() - SUFFIX.length()));
        } catch (NumberFormatException e) {
            throw new IOException("journal directory holds " + n + ", which is not a journal file; move it away");
        }
    }

    static void writeHeader(FileChannel ch, UUID pool, long firstSeq) throws IOException {
        ByteBuffer h = JournalFileHeader.of(pool, firstSeq).encode();
        while (h.hasRemaining()) {
            ch.write(h, h.position());
        }
    }

    /** fsyncs the directory (new file names), with the caller's interrupt flag cleared around it. */
    static void syncDir(Path dir) {
        boolean interrupted = Thread.interrupted();
        try {
            PrivateFiles.syncDirectory(dir);
        } catch (IOException e) {
            throw new EngineIOException("fsync of journal directory " + dir + " failed: " + e, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * fsyncs the journal file {@code path} through {@code ch}, or through a fresh descriptor when an interrupt closed
     * {@code ch} (an fsync through any descriptor covers the file). Since rotation does not sync the file it retires,
     * the file to sync is always the one the group-commit leader took, never "the current active one": that could be
     * the next file, leaving the records of this one unsynced though reported durable.
     */
    static void force(FileChannel ch, Path path) {
        boolean interrupted = Thread.interrupted();
        try {
            try {
                ch.force(false);
            } catch (ClosedChannelException e) {
                interrupted |= Thread.interrupted(); // set if the force itself was interrupted
                try (FileChannel again = FileChannel.open(path, StandardOpenOption.WRITE)) {
                    again.force(false);
                } catch (NoSuchFileException gone) {
                    // unlinked by deleteBefore: all its records lie below a durable consistency point's replay position
                }
            }
        } catch (IOException e) {
            throw new EngineIOException("journal fsync of " + path + " failed: " + e, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
