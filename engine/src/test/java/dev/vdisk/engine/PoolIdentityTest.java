package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.ForeignPoolFileException;
import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.engine.error.PoolLayoutException;
import dev.vdisk.engine.error.PoolLockedException;
import dev.vdisk.engine.error.Reason;
import dev.vdisk.engine.format.Superblock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, section 2: a pool's files belong to one pool and are opened by one pool at a time. A copy of a live pool's
 * directory, a directory naming another pool's files, a journal file of another pool and a journal that lost records a
 * consistency point needs are each refused or kept apart, the live pool keeps every flushed write, and the check finds
 * what a second writer left in the previous point's metadata. Create and import: {@link PoolCreateAndImportTest}.
 */
class PoolIdentityTest {
    private static final int SEG = 4096;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCopyOfALivePoolDirectoryListedByASecondProcessLeavesTheLiveFilesAloneAndLosesNoFlushedWrite()
            throws Exception {
        Path live = dir.resolve("live");
        Path copy = dir.resolve("copy");
        Pool pool = TestPools.create(live, 4L << 20, SEG, TestPools.quietOptions());
        pool.vdisks().create("v", 1L << 20);
        Vdisk v = pool.vdisks().get("v");
        for (int i = 0; i < 20; i++) {
            TestPools.write(v, (long) i * SEG, TestPools.filled(SEG, i + 1));
        }
        v.flush();
        cpA(live, copy); // while records wait in the journal and the destager
        // no consistency point runs on its own (quiet options): the superblocks and the journal stay as they are,
        // while the destager may still write data segments in place
        byte[] superblocks = head(live.resolve(PoolFiles.DATA));
        TreeMap<String, byte[]> journal = files(live.resolve(PoolFiles.JOURNAL));

        Child ls = vdisk(copy, "ls"); // the copy names its own files: opens them, or is refused; never the live ones
        assertArrayEquals(superblocks, head(live.resolve(PoolFiles.DATA)), "live superblocks changed: " + ls);
        assertUnchanged(journal, live.resolve(PoolFiles.JOURNAL));

        for (int i = 20; i < 40; i++) {
            TestPools.write(v, (long) i * SEG, TestPools.filled(SEG, i + 1));
        }
        v.flush();
        pool.abandonForTesting(); // a crash: everything flushed must come back from the live files
        try (Pool reopened = Pool.open(live, TestPools.quietOptions())) {
            Vdisk r = reopened.vdisks().get("v");
            for (int i = 0; i < 40; i++) {
                assertArrayEquals(TestPools.filled(SEG, i + 1), TestPools.read(r, (long) i * SEG, SEG), "block " + i);
            }
            assertTrue(reopened.check().clean());
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aDirectoryWhosePoolPropertiesNamesTheLiveFilesIsRefusedByTheirLocksInAnotherProcessAndInThisOne()
            throws Exception {
        Path live = dir.resolve("live");
        Path other = dir.resolve("other");
        Pool pool = TestPools.create(live, 4L << 20, SEG, TestPools.quietOptions());
        pool.vdisks().create("v", 1L << 20);
        Vdisk v = pool.vdisks().get("v");
        TestPools.write(v, 0, TestPools.filled(SEG, 1));
        v.flush();
        Files.createDirectories(other); // its own pool.lock, the live pool's files
        Files.writeString(other.resolve(PoolFiles.PROPERTIES), formatOne(live));
        pool.drain(); // nothing of the live pool's own writes the live files while the child runs
        TreeMap<String, byte[]> before = files(live);

        Child ls = vdisk(other, "ls");
        assertEquals(1, ls.rc(), ls.toString());
        assertTrue(
                ls.err().contains("data file pool.data of pool " + other + " is in use by another open pool")
                        && ls.err().contains("vdisk pool import")
                        && ls.err().strip().lines().count() == 1,
                ls.err());
        PoolLockedException e = assertThrows(PoolLockedException.class, () -> Pool.open(other));
        assertTrue(e.getMessage().contains("in use by another open pool"), e.getMessage());
        assertUnchanged(before, live);

        TestPools.write(v, SEG, TestPools.filled(SEG, 2));
        v.flush();
        pool.abandonForTesting();
        try (Pool reopened = Pool.open(live, TestPools.quietOptions())) {
            assertArrayEquals(
                    TestPools.filled(SEG, 1), TestPools.read(reopened.vdisks().get("v"), 0, SEG));
            assertArrayEquals(
                    TestPools.filled(SEG, 2), TestPools.read(reopened.vdisks().get("v"), SEG, SEG));
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCopyMadeBeforeFormatTwoNamingTheOriginalsFilesIsRefusedWhetherOrNotTheOriginalIsOpen() throws Exception {
        Path live = dir.resolve("live");
        Path copy = dir.resolve("copy");
        Pool pool = TestPools.create(live, 4L << 20, SEG, TestPools.quietOptions());
        pool.vdisks().create("v", 1L << 20);
        TestPools.write(pool.vdisks().get("v"), 0, TestPools.filled(SEG, 1));
        pool.vdisks().get("v").flush();
        cpA(live, copy);
        Files.writeString(copy.resolve(PoolFiles.PROPERTIES), formatOne(live)); // what a format-1 copy holds
        pool.drain();
        TreeMap<String, byte[]> before = files(live);

        Child ls = vdisk(copy, "ls");
        assertEquals(1, ls.rc(), ls.toString());
        assertTrue(
                ls.err().contains("vdisk pool import " + copy)
                        && ls.err().strip().lines().count() == 1,
                ls.err());
        assertUnchanged(before, live);
        pool.close();

        PoolLayoutException e = assertThrows(PoolLayoutException.class, () -> Pool.open(copy));
        assertTrue(e.getMessage().contains("has its own pool.data"), e.getMessage());
        Files.move(copy.resolve(PoolFiles.PROPERTIES), copy.resolve("pool.properties.old"));
        assertTrue(PoolImport.run(copy, null, null, TestPools.quietOptions()).clean());
        try (Pool a = Pool.open(live);
                Pool b = Pool.open(copy)) { // each on its own files now
            assertEquals(a.info().uuid(), b.info().uuid());
            assertArrayEquals(
                    TestPools.filled(SEG, 1), TestPools.read(b.vdisks().get("v"), 0, SEG));
        }
    }

    @Test
    void aJournalFileOfAnotherPoolIsRefusedNamingTheFileAndBothUuidsAndNothingIsChanged() throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        String uuidA;
        String uuidB;
        try (Pool pa = TestPools.create(a, 4L << 20, SEG, TestPools.quietOptions())) {
            uuidA = pa.info().uuid().toString();
        }
        Pool pb = TestPools.create(b, 4L << 20, SEG, TestPools.quietOptions());
        uuidB = pb.info().uuid().toString();
        pb.vdisks().create("v", 1L << 20);
        TestPools.write(pb.vdisks().get("v"), 0, TestPools.filled(SEG, 3));
        pb.vdisks().get("v").flush();
        pb.abandonForTesting();
        Path foreign = logs(b).get(0);
        Files.copy(foreign, a.resolve(PoolFiles.JOURNAL).resolve(foreign.getFileName()));
        TreeMap<String, byte[]> before = files(a);

        ForeignPoolFileException e =
                assertThrows(ForeignPoolFileException.class, () -> Pool.open(a, TestPools.quietOptions()));
        assertTrue(
                e.getMessage().contains("journal file " + foreign.getFileName())
                        && e.getMessage().contains(uuidA)
                        && e.getMessage().contains(uuidB),
                e.getMessage());
        assertEquals(Reason.FAILED_PRECONDITION, e.reason());
        assertEquals(before.keySet(), files(a).keySet());
        for (var f : before.entrySet()) {
            assertArrayEquals(f.getValue(), files(a).get(f.getKey()), f.getKey() + " changed");
        }
    }

    @Test
    void aJournalMissingRecordsThatTheNewestPointReplaysIsRefusedUntilImportAcceptsTheLoss() throws Exception {
        Path p = dir.resolve("p");
        PoolOptions o = new PoolOptions(4L << 20, 2L << 20, 3_600_000, 64L << 20, 1L << 30, 1).withWriteAnywhere(false);
        Pool pool = TestPools.create(p, 16L << 20, SEG, o);
        pool.vdisks().create("v", 8L << 20);
        Vdisk v = pool.vdisks().get("v");
        for (int i = 0; i < 700; i++) { // 2.8 MiB of records: two journal files
            TestPools.write(v, (long) i * SEG, TestPools.filled(SEG, i + 1));
        }
        v.flush();
        pool.abandonForTesting(); // the newest point replays from before every one of these records
        List<Path> logs = logs(p);
        assertTrue(logs.size() >= 2, logs.toString());
        Files.delete(logs.get(0)); // what another opener's trimming left behind

        long second = Long.parseLong(logs.get(1).getFileName().toString().replace(".log", ""));
        String gone = ".." + (second - 1) + " (a file is missing before "
                + logs.get(1).getFileName() + ")";
        JournalDamagedException e = assertThrows(JournalDamagedException.class, () -> Pool.open(p, o));
        assertTrue(e.getMessage().contains(gone) && e.getMessage().contains("--accept-journal-loss"), e.getMessage());
        Child check = vdisk(p, "check");
        assertEquals(4, check.rc(), check.toString());
        assertTrue(check.out().startsWith("journal damaged: ") && check.out().contains(gone), check.toString());
        Files.move(p.resolve(PoolFiles.PROPERTIES), p.resolve("pool.properties.old"));
        assertThrows(JournalDamagedException.class, () -> PoolImport.run(p, null, null, o));
        CheckReport r = PoolImport.run(p, null, null, o.withAcceptJournalLoss(true));
        assertTrue(r.clean(), r.problems().toString());
        try (Pool reopened = Pool.open(p, o)) {
            assertEquals(8L << 20, reopened.vdisks().get("v").size());
        }
    }

    @Test
    void aJournalFileWhoseHeaderNeverReachedTheDiskIsDroppedAndARenamedOneRefused() throws IOException {
        Path p = dir.resolve("p");
        Pool pool = TestPools.create(p, 4L << 20, SEG, TestPools.quietOptions());
        pool.vdisks().create("v", 1L << 20);
        TestPools.write(pool.vdisks().get("v"), 0, TestPools.filled(SEG, 5));
        pool.vdisks().get("v").flush();
        pool.abandonForTesting();
        Path last = logs(p).get(logs(p).size() - 1);
        Path renamed = last.resolveSibling(String.format("%020d.log", 1_000_000));
        Files.copy(last, renamed);
        CorruptMetadataException e =
                assertThrows(CorruptMetadataException.class, () -> Pool.open(p, TestPools.quietOptions()));
        assertTrue(e.getMessage().contains("renamed?"), e.getMessage());
        Files.delete(renamed);

        Path empty = last.resolveSibling(String.format("%020d.log", 1_000_000)); // created, then the crash
        Files.write(empty, new byte[20]);
        try (Pool reopened = Pool.open(p, TestPools.quietOptions())) {
            assertArrayEquals(
                    TestPools.filled(SEG, 5), TestPools.read(reopened.vdisks().get("v"), 0, SEG));
        }
        assertFalse(Files.exists(empty), "a file without a header holds no durable record");
    }

    @Test
    void checkFindsThePreviousPointsMetadataOverwrittenByAnotherWriter() throws IOException {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 4L << 20, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 20);
            pool.vdisks().create("w", 1L << 20);
            TestPools.write(pool.vdisks().get("v"), 0, TestPools.filled(SEG, 1));
            pool.checkpoint();
            TestPools.write(pool.vdisks().get("w"), 0, TestPools.filled(SEG, 2));
            pool.checkpoint(); // the previous point's catalog is now free in memory, still the fallback on disk
            assertTrue(pool.check().clean(), pool.check().problems().toString());

            Superblock previous = previousSlot(p.resolve(PoolFiles.DATA));
            // what a second opener of these files did: its own point wrote over segments this pool had freed
            try (RandomAccessFile f =
                    new RandomAccessFile(p.resolve(PoolFiles.DATA).toFile(), "rw")) {
                f.seek(previous.catalogVbn() * SEG);
                f.write(TestPools.filled(SEG, 99));
            }
            CheckReport r = pool.check();
            assertFalse(r.clean());
            assertTrue(
                    r.problems().stream()
                            .anyMatch(x -> x.kind() == CheckReport.Kind.BAD_CHECKSUM
                                    && x.vbn() == previous.catalogVbn()
                                    && x.detail().contains("previous consistency point")),
                    r.problems().toString());
        }
    }

    // ---------------------------------------------------------------- helpers

    /** The superblock slot with the lower generation. */
    private static Superblock previousSlot(Path data) throws IOException {
        byte[] b = head(data);
        Superblock s0 =
                Superblock.decode(ByteBuffer.wrap(b, 0, Superblock.SLOT_SIZE).slice());
        Superblock s1 = Superblock.decode(
                ByteBuffer.wrap(b, Superblock.SLOT_SIZE, Superblock.SLOT_SIZE).slice());
        return s0.generation() < s1.generation() ? s0 : s1;
    }

    private record Child(int rc, String out, String err) {}

    /** Runs {@code bin/vdisk --pool POOL ARGS...} as a separate JVM, as an operator would. */
    private static Child vdisk(Path pool, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.vdisk.cli.VdiskCli",
                "--pool",
                pool.toString()));
        cmd.addAll(Arrays.asList(args));
        Path out = Files.createTempFile("vdisk-out", ".txt");
        Path err = Files.createTempFile("vdisk-err", ".txt");
        try {
            Process child = new ProcessBuilder(cmd)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.destroyForcibly().waitFor();
                fail("vdisk " + String.join(" ", args) + " did not finish");
            }
            return new Child(child.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** A format-1 pool.properties naming {@code pool}'s files by absolute path. */
    private static String formatOne(Path pool) {
        return "format=1\ndevice=false\ndata=" + pool.resolve(PoolFiles.DATA).toAbsolutePath() + "\njournal="
                + pool.resolve(PoolFiles.JOURNAL).toAbsolutePath() + "\n";
    }

    private static void assertUnchanged(TreeMap<String, byte[]> before, Path root) throws IOException {
        TreeMap<String, byte[]> now = files(root);
        assertEquals(before.keySet(), now.keySet(), "files added or removed");
        for (var f : before.entrySet()) {
            assertArrayEquals(f.getValue(), now.get(f.getKey()), f.getKey() + " changed");
        }
    }

    private static void cpA(Path from, Path to) throws IOException, InterruptedException {
        Process cp = new ProcessBuilder("cp", "-a", from.toString(), to.toString())
                .inheritIO()
                .start();
        assertEquals(0, cp.waitFor(), "cp -a");
    }

    /** Every file under {@code root} (relative name to content). */
    private static TreeMap<String, byte[]> files(Path root) throws IOException {
        TreeMap<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(f).toString(), Files.readAllBytes(f));
            }
        }
        return out;
    }

    private static List<Path> logs(Path pool) throws IOException {
        try (Stream<Path> s = Files.list(pool.resolve(PoolFiles.JOURNAL))) {
            return s.filter(f -> f.getFileName().toString().endsWith(".log"))
                    .sorted()
                    .toList();
        }
    }

    private static byte[] head(Path data) throws IOException {
        byte[] b = new byte[2 * Superblock.SLOT_SIZE];
        try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "r")) {
            f.readFully(b);
        }
        return b;
    }
}
