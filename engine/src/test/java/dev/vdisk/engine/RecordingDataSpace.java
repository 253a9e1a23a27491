package dev.vdisk.engine;

import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.journal.SyncMark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A data space that records every write of a run in a {@link Log}: in order, with how many writes the last fsync
 * before it had made durable and the journal's files (and sync mark) as they were just after it. {@link Log#crashImage} rebuilds the
 * pool directory as a crash right after write {@code n - 1} would have left it: a kill (every write so far reached the
 * page cache) or a power loss (writes not covered by an fsync each lost or kept by a seeded {@link Random}, as
 * Lucene's MockDirectoryWrapper does). Writes and fsyncs are serialised on the log, so it is one total order; one log
 * spans the data spaces of several opens of the same pool.
 */
final class RecordingDataSpace extends DataSpace {
    private final Log log;

    RecordingDataSpace(Path data, Log log) {
        super(data);
        this.log = log;
    }

    @Override
    public void writeFully(ByteBuffer src, long pos) {
        synchronized (log) {
            byte[] b = new byte[src.remaining()];
            src.duplicate().get(b);
            super.writeFully(src, pos);
            log.writes.add(new Log.Write(pos, b, log.durable, log.journalNow()));
        }
    }

    /** An in-kernel copy is recorded as the write of the bytes it copied (what a crash image must replay). */
    @Override
    public void copyRange(long from, long to, long length) {
        synchronized (log) {
            ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(length));
            super.readFully(b, from);
            super.copyRange(from, to, length);
            log.writes.add(new Log.Write(to, b.array(), log.durable, log.journalNow()));
        }
    }

    /** Only an fsync that really runs makes writes durable (force skips it when nothing was written since the last). */
    @Override
    protected void fsync(FileChannel ch) throws IOException {
        synchronized (log) {
            super.fsync(ch);
            log.durable = log.writes.size();
        }
    }

    /** The writes to one pool's data space, in order, across opens. */
    static final class Log {
        /** One write: where, what, how many writes before it were durable, the journal files just after it. */
        private record Write(long pos, byte[] bytes, int durable, Map<String, JournalFile> journal) {}

        /** A journal file at one moment: the first {@code length} bytes of version {@code version} of its content. */
        private record JournalFile(int version, int length) {}

        private final Path journalDir;
        private final List<Write> writes = new ArrayList<>();
        /**
         * Contents seen of each journal file: appends extend the newest version; a new version starts when the file
         * no longer extends it (recovery truncated a torn tail and appended again).
         */
        private final Map<String, List<byte[]>> journalVersions = new HashMap<>();

        private int durable;
        /** The journal files when recording began. */
        private final Map<String, JournalFile> initialJournal;

        Log(Path journalDir) {
            this.journalDir = journalDir;
            this.initialJournal = journalNow();
        }

        /** Writes recorded so far: crash points are 0..count (right after write n - 1; 0 before any). */
        synchronized int count() {
            return writes.size();
        }

        /**
         * Builds in {@code img} the pool a crash right after write {@code n - 1} leaves, starting from
         * {@code initialData} (the data file when recording began). {@code powerLoss} null: a kill; otherwise each
         * write not yet covered by an fsync survives or not at random.
         */
        synchronized void crashImage(Path initialData, int n, Random powerLoss, Path img) throws IOException {
            Files.createDirectories(img.resolve(PoolFiles.JOURNAL));
            Path data = img.resolve(PoolFiles.DATA);
            Files.copy(initialData, data);
            int durableAtN = n == 0 ? 0 : writes.get(n - 1).durable();
            try (DataSpace ds = new DataSpace(data)) {
                for (int i = 0; i < n; i++) {
                    if (powerLoss == null || i < durableAtN || powerLoss.nextBoolean()) {
                        Write w = writes.get(i);
                        ds.writeFully(ByteBuffer.wrap(w.bytes()), w.pos());
                    }
                }
            }
            Map<String, JournalFile> journal =
                    n == 0 ? initialJournal : writes.get(n - 1).journal();
            for (var f : journal.entrySet()) {
                byte[] content =
                        journalVersions.get(f.getKey()).get(f.getValue().version());
                Path to = f.getKey().equals(SyncMark.FILE)
                        ? img.resolve(SyncMark.FILE)
                        : img.resolve(PoolFiles.JOURNAL).resolve(f.getKey());
                Files.write(to, Arrays.copyOf(content, f.getValue().length()));
            }
            PoolFiles.write(img, new PoolFiles.Layout(data, false, img.resolve(PoolFiles.JOURNAL)));
        }

        /**
         * The journal files and the sync mark now; keeps content not seen before. The mark is read first: it never
         * runs ahead of the records read after it (a group commit writes it after their fsync).
         */
        private Map<String, JournalFile> journalNow() {
            Map<String, JournalFile> out = new TreeMap<>();
            Map<Path, byte[]> read = new LinkedHashMap<>();
            try {
                Path mark = journalDir.resolveSibling(SyncMark.FILE);
                read.put(mark, Files.readAllBytes(mark)); // before listing: a file created after it is listed
            } catch (NoSuchFileException e) {
                // not created yet
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try (Stream<Path> s = Files.list(journalDir)) {
                List<Path> files = new ArrayList<>(read.keySet());
                files.addAll(s.sorted().toList());
                for (Path p : files) {
                    String name = p.getFileName().toString();
                    try {
                        byte[] b = read.containsKey(p) ? read.get(p) : Files.readAllBytes(p);
                        List<byte[]> versions = journalVersions.computeIfAbsent(name, k -> new ArrayList<>());
                        byte[] newest = versions.isEmpty() ? null : versions.get(versions.size() - 1);
                        if (newest != null
                                && Arrays.equals(
                                        b,
                                        0,
                                        Math.min(b.length, newest.length),
                                        newest,
                                        0,
                                        Math.min(b.length, newest.length))) {
                            if (b.length > newest.length) {
                                versions.set(versions.size() - 1, b);
                            }
                        } else {
                            versions.add(b);
                        }
                        out.put(name, new JournalFile(versions.size() - 1, b.length));
                    } catch (NoSuchFileException e) {
                        // deleted meanwhile: not part of this point
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out;
        }
    }
}
