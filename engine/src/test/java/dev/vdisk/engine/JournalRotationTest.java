package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Journal files rotated without an fsync under the append lock: the group-commit leader syncs them before it reports
 * their records durable, closes them, and old files are unlinked on a background thread.
 */
class JournalRotationTest {
    private static final int BLOCKS = 2048; // 8 MiB of 4 KiB writes: four 2 MiB journal files and more

    @TempDir
    Path dir;

    /** Small journal files, no consistency point on its own: everything written stays in the journal. */
    private static PoolOptions smallFiles() {
        return new PoolOptions(4L << 20, 2L << 20, 3_600_000, 64L << 20, 1L << 30, 1);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void recordsInRotatedFilesReplayAfterACrash() throws IOException {
        Path p = dir.resolve("p");
        Pool pool = TestPools.create(p, 64L << 20, 65536, smallFiles());
        pool.vdisks().create("v", 16L << 20);
        Vdisk v = pool.vdisks().get("v");
        for (int i = 0; i < BLOCKS; i++) {
            TestPools.write(v, (long) (i * 7 % 4096) * 4096, TestPools.filled(4096, i)); // each block once, scattered
        }
        v.flush();
        assertTrue(journalFiles(p) >= 4, "the writes should span several journal files: " + journalFiles(p));
        assertEquals(1, openJournalDescriptors(p), "retired journal files are closed once synced");
        pool.abandonForTesting();
        try (Pool reopened = Pool.open(p, smallFiles())) {
            Vdisk r = reopened.vdisks().get("v");
            for (int i = 0; i < BLOCKS; i++) {
                assertArrayEquals(
                        TestPools.filled(4096, i),
                        TestPools.read(r, (long) (i * 7 % 4096) * 4096, 4096),
                        "block written by write " + i);
            }
            assertTrue(reopened.check().clean());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void oldFilesAreDeletedOnceTwoPointsPassedThem() throws IOException {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 64L << 20, 65536, smallFiles())) {
            pool.vdisks().create("v", 16L << 20);
            Vdisk v = pool.vdisks().get("v");
            for (int i = 0; i < BLOCKS; i++) {
                TestPools.write(v, (long) i * 4096, TestPools.filled(4096, i));
            }
            v.flush();
            int before = journalFiles(p);
            assertTrue(before >= 4, "the writes should span several journal files: " + before);
            pool.drain();
            pool.drain();
        }
        // close waits for the unlinks the points started
        assertTrue(journalFiles(p) <= 2, "old journal files left: " + journalFiles(p));
        try (Pool reopened = Pool.open(p, smallFiles())) {
            Vdisk r = reopened.vdisks().get("v");
            for (int i = 0; i < BLOCKS; i += 97) {
                assertArrayEquals(TestPools.filled(4096, i), TestPools.read(r, (long) i * 4096, 4096), "block " + i);
            }
        }
    }

    private static int journalFiles(Path pool) throws IOException {
        try (Stream<Path> s = Files.list(pool.resolve(PoolFiles.JOURNAL))) {
            return (int)
                    s.filter(f -> f.getFileName().toString().endsWith(".log")).count();
        }
    }

    /** Descriptors of this process open on journal files ({@code .log}; not the journal's lock file). */
    private static int openJournalDescriptors(Path pool) throws IOException {
        Path journal = pool.resolve(PoolFiles.JOURNAL).toRealPath();
        int n = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if (target.startsWith(journal)
                            && target.getFileName().toString().endsWith(".log")) {
                        n++;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return n;
    }
}
