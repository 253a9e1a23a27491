package dev.vdisk.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.Pool;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitTask;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vdisk command in-process: exit codes, output, one-line errors. */
class VdiskCliTest {
    @TempDir
    Path dir;

    private record Result(int rc, String out, String err, byte[] outBytes) {}

    private Result run(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new VdiskCli(
                        new PrintStream(out, true),
                        new PrintStream(err, true),
                        new ByteArrayInputStream(stdin),
                        Map.of("VDISK_POOL", dir.resolve("pool").toString()))
                .run(args);
        return new Result(
                rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), out.toByteArray());
    }

    private Result run(String... args) {
        return run(new byte[0], args);
    }

    @Test
    void fullLifecycle() throws IOException {
        String pool = dir.resolve("pool").toString();
        Result r = run("pool", "create", pool, "--size", "64M", "--segment-size", "16K");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("created pool"), r.out());

        r = run("pool", "info");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("segment size:  16KiB"), r.out());

        assertEquals(0, run("--pool", pool, "create", "vol1", "--size", "8M").rc());
        r = run("create", "vol1", "--size", "8M");
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("already exists") && r.err().lines().count() == 1, r.err());

        Path in = dir.resolve("in.bin");
        byte[] data = new byte[300_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + 3);
        }
        Files.write(in, data);
        r = run("write", "vol1", "--offset", "1M", "--from", in.toString());
        assertEquals(0, r.rc(), r.err());

        Path outFile = dir.resolve("out.bin");
        r = run("read", "vol1", "--offset", "1M", "--length", "300000", "--to", outFile.toString());
        assertEquals(0, r.rc(), r.err());
        assertArrayEquals(data, Files.readAllBytes(outFile));
        assertEquals(
                Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(outFile),
                "a volume's bytes are root's alone: 0600");

        r = run("abc".getBytes(StandardCharsets.UTF_8), "write", "vol1", "--offset", "4K", "--from", "-");
        assertEquals(0, r.rc(), r.err());
        r = run("read", "vol1", "--offset", "4096", "--length", "4", "--to", "-");
        assertArrayEquals(new byte[] {'a', 'b', 'c', 0}, r.outBytes());

        r = run("ls");
        assertEquals(0, r.rc());
        assertTrue(r.out().contains("vol1") && r.out().contains("8MiB"), r.out());

        r = run("resize", "vol1", "--size", "4M");
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("not supported") && r.err().contains("FAILED_PRECONDITION"), r.err());
        assertEquals(0, run("resize", "vol1", "--size", "1G").rc());

        r = run("check");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().startsWith("clean"), r.out());

        r = run("rm", "vol1");
        assertEquals(0, r.rc());
        r = run("rm", "vol1");
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("does not exist"), r.err());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, run().rc());
        assertEquals(0, run("--help").rc());
        Result r = run("frobnicate");
        assertEquals(2, r.rc());
        assertEquals("vdisk: unexpected argument frobnicate (see vdisk --help)\n", r.err());
        r = run("create", "x");
        assertEquals(
                "vdisk create: Missing required option: '--size=SIZE' (see vdisk create --help)\n",
                r.err(),
                "one line naming the verb");
        r = run("create", "x", "--size", "lots");
        assertEquals(2, r.rc());
        assertTrue(
                r.err().startsWith("vdisk create: Invalid value for option '--size': 'lots' is not a size"), r.err());
        r = run("create", "--help");
        assertEquals(0, r.rc());
        assertTrue(r.out().contains("--size=SIZE") && r.out().contains("--pool=DIR"), "help on every verb: " + r.out());
        assertEquals(0, run("help", "split").rc());
        r = run("generate-completion");
        assertEquals(0, r.rc());
        assertTrue(r.out().contains("complete -F") && r.out().contains("vdisk"), "a bash completion script");
        assertEquals(2, run("create", "x").rc());
        assertEquals(2, run("create", "x", "--size", "lots").rc());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new VdiskCli(
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(err),
                        new ByteArrayInputStream(new byte[0]),
                        Map.of())
                .run(new String[] {"ls"});
        assertEquals(2, rc);
        assertTrue(err.toString().contains("VDISK_POOL"));
    }

    @Test
    void checkReportsCorruptionWithNonZeroExit() throws IOException {
        String pool = dir.resolve("pool").toString();
        assertEquals(
                0,
                run("pool", "create", pool, "--size", "4M", "--segment-size", "4K")
                        .rc());
        try (RandomAccessFile f =
                new RandomAccessFile(dir.resolve("pool").resolve("pool.data").toFile(), "rw")) {
            for (long pos : new long[] {20, 4096 + 20}) {
                f.seek(pos);
                f.write(0x42);
            }
        }
        Result r = run("check");
        assertEquals(VdiskCli.DAMAGED, r.rc());
        assertTrue(r.out().contains("corrupt"), r.out());
    }

    @Test
    void poolImportRebuildsALostPoolPropertiesThatCreateRefusesToReplace() throws IOException {
        Path pool = dir.resolve("pool");
        assertEquals(
                0,
                run("pool", "create", pool.toString(), "--size", "4M", "--segment-size", "4K")
                        .rc());
        assertEquals(0, run("create", "vol1", "--size", "1M").rc());
        assertEquals(
                0,
                run("abc".getBytes(StandardCharsets.UTF_8), "write", "vol1", "--from", "-")
                        .rc());
        Files.delete(pool.resolve("pool.properties"));

        Result r = run("pool", "create", pool.toString(), "--size", "4M", "--segment-size", "4K");
        assertEquals(1, r.rc());
        assertTrue(
                r.err().contains("already holds vdisk pool")
                        && r.err().contains("vdisk pool import " + pool)
                        && r.err().strip().lines().count() == 1,
                r.err());

        r = run("ls");
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("vdisk pool import " + pool) && !r.err().contains("pool create"), r.err());

        r = run("pool", "import", pool.toString());
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("imported pool") && r.out().contains("1 vdisks"), r.out());
        r = run("read", "vol1", "--length", "3", "--to", "-");
        assertEquals(0, r.rc(), r.err());
        assertEquals("abc", new String(r.outBytes(), StandardCharsets.UTF_8));

        r = run("pool", "import", pool.toString());
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("already exists"), r.err());
    }

    @Test
    void checkFailsOnAJournalFileOfAnotherPoolNamingBothPools() throws IOException {
        Path a = dir.resolve("pool");
        Path b = dir.resolve("other");
        assertEquals(
                0,
                run("pool", "create", a.toString(), "--size", "4M", "--segment-size", "4K")
                        .rc());
        assertEquals(
                0,
                run("pool", "create", b.toString(), "--size", "4M", "--segment-size", "4K")
                        .rc());
        assertEquals(
                0, run("--pool", b.toString(), "create", "v", "--size", "1M").rc());
        assertEquals(
                0,
                run("abc".getBytes(StandardCharsets.UTF_8), "--pool", b.toString(), "write", "v", "--from", "-")
                        .rc());
        Path foreign;
        try (var s = Files.list(b.resolve("journal"))) {
            foreign = s.filter(f -> f.toString().endsWith(".log")).findFirst().orElseThrow();
        }
        Files.copy(foreign, a.resolve("journal").resolve(foreign.getFileName()));
        Result r = run("check");
        assertEquals(1, r.rc());
        assertTrue(
                r.out().contains("foreign file: journal file " + foreign.getFileName() + " belongs to pool"), r.out());
    }

    @Test
    void impossibleMetadataExitsThreeWithOneLineNamingTheFieldNeverPointingAtHelp() throws IOException {
        String pool = dir.resolve("pool").toString();
        assertEquals(
                0,
                run("pool", "create", pool, "--size", "4M", "--segment-size", "4K")
                        .rc());
        Path data = dir.resolve("pool").resolve("pool.data");
        try (DataSpace ds = new DataSpace(data)) {
            Superblock s = null;
            for (int slot = 0; slot < Superblock.SLOTS; slot++) {
                ByteBuffer b = ByteBuffer.allocate(Superblock.SLOT_SIZE);
                ds.readFully(b, (long) slot * Superblock.SLOT_SIZE);
                Superblock one = Superblock.decode(b.flip());
                if (one != null && (s == null || one.generation() > s.generation())) {
                    s = one;
                }
            }
            Superblock crafted = new Superblock(
                    s.version(),
                    s.blockSize(),
                    s.segmentSize(),
                    1L << 62,
                    s.uuid(),
                    s.generation(),
                    s.catalogVbn(),
                    s.catalogCrc(),
                    s.catalogLength(),
                    s.replaySeq(),
                    s.nextVdiskId());
            ds.writeFully(crafted.encode(), (long) crafted.slot() * Superblock.SLOT_SIZE);
        }
        Result r = run("ls");
        assertEquals(VdiskCli.DAMAGED, r.rc(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("segment count 4611686018427387904 is impossible"), r.err());
        assertFalse(r.err().contains("--help"), r.err());
    }

    @Test
    void aDamagedJournalExitsFourAndAcceptingTheLossListsWhatMayBeOlder() throws IOException {
        String pool = dir.resolve("pool").toString();
        assertEquals(
                0,
                run("pool", "create", pool, "--size", "8M", "--segment-size", "4K")
                        .rc());
        assertEquals(0, run("create", "db", "--size", "1M").rc());
        Path in = dir.resolve("in.bin");
        Files.write(in, new byte[64 << 10]);
        assertEquals(0, run("write", "db", "--from", in.toString()).rc());
        Path journal;
        try (var files = Files.list(dir.resolve("pool").resolve("journal"))) {
            journal = files.filter(f -> f.toString().endsWith(".log"))
                    .sorted()
                    .toList()
                    .getLast(); // not journal.lock
        }
        try (RandomAccessFile f = new RandomAccessFile(journal.toFile(), "rw")) {
            f.setLength(f.length() / 2); // the pool was closed cleanly: its replay position is past this
        }
        Result r = run("check");
        assertEquals(VdiskCli.JOURNAL_DAMAGED, r.rc(), r.out() + r.err());
        assertEquals(1, r.out().lines().count(), r.out());
        assertTrue(r.out().startsWith("journal damaged: " + journal.getFileName() + " at byte "), r.out());
        assertTrue(r.out().contains("--accept-journal-loss"), r.out());

        r = run("--accept-journal-loss", "check");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("1 damaged journal place(s) accepted"), r.out());

        r = run("check");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().startsWith("clean"), r.out());
    }

    @Test
    void poolImportOfADamagedJournalExitsFourUntilTheSameAcceptJournalLossFlag() throws IOException {
        Path pool = dir.resolve("pool");
        assertEquals(
                0,
                run("pool", "create", pool.toString(), "--size", "4M", "--segment-size", "4K")
                        .rc());
        assertEquals(0, run("create", "vol1", "--size", "1M").rc());
        assertEquals(
                0,
                run("abc".getBytes(StandardCharsets.UTF_8), "write", "vol1", "--from", "-")
                        .rc());
        Files.delete(pool.resolve("pool.properties"));
        try (var files = Files.list(pool.resolve("journal"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                Files.delete(f);
            }
        }

        Result r = run("pool", "import", pool.toString());
        assertEquals(VdiskCli.JOURNAL_DAMAGED, r.rc(), r.out() + r.err());
        assertTrue(r.err().contains("journal damaged: ") && r.err().contains("--accept-journal-loss"), r.err());
        assertFalse(Files.exists(pool.resolve("pool.properties")));

        r = run("pool", "import", pool.toString(), "--accept-journal-loss");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("imported pool") && r.out().contains("1 vdisks"), r.out());
        r = run("read", "vol1", "--length", "3", "--to", "-");
        assertEquals(0, r.rc(), r.err());
        assertEquals("abc", new String(r.outBytes(), StandardCharsets.UTF_8), "destaged at the clean close");
    }

    @Test
    void secondOpenOfALockedPoolIsRefused() {
        String pool = dir.resolve("pool").toString();
        assertEquals(
                0,
                run("pool", "create", pool, "--size", "4M", "--segment-size", "4K")
                        .rc());
        try (var p = Pool.open(dir.resolve("pool"))) {
            Result r = run("ls");
            assertEquals(1, r.rc());
            assertTrue(r.err().contains("already open"), r.err());
        }
    }

    @Test
    void snapshotCloneDiffAllocatedTreeAndRm() {
        String pool = dir.resolve("pool").toString();
        assertEquals(
                0,
                run("pool", "create", pool, "--size", "16M", "--segment-size", "4K")
                        .rc());
        assertEquals(0, run("create", "vol", "--size", "1M").rc());
        assertEquals(
                0,
                run("abcd".getBytes(StandardCharsets.UTF_8), "write", "vol", "--offset", "8K", "--from", "-")
                        .rc());
        Result r = run("snapshot", "vol", "s1");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("created snapshot s1 of vol"), r.out());
        assertEquals(
                0,
                run("xy".getBytes(StandardCharsets.UTF_8), "write", "vol", "--offset", "40K", "--from", "-")
                        .rc());
        assertEquals(0, run("snapshot", "vol", "s2").rc());

        r = run("diff", "s1", "s2");
        assertEquals(0, r.rc(), r.err());
        assertEquals("40960 4096 changed\n", r.out());
        r = run("diff", "s2", "s1");
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("INVALID_ARGUMENT"), r.err());
        r = run("allocated", "s2");
        assertEquals("8192 4096\n40960 4096\n", r.out());
        r = run("allocated", "s2", "--offset", "10K"); // resumes inside the first extent
        assertEquals("10240 2048\n40960 4096\n", r.out());

        r = run("clone", "s1", "cl");
        assertEquals(0, r.rc(), r.err());
        r = run("read", "cl", "--offset", "8K", "--length", "4", "--to", "-");
        assertArrayEquals("abcd".getBytes(StandardCharsets.UTF_8), r.outBytes());
        r = run("read", "s2", "--offset", "40K", "--length", "2", "--to", "-");
        assertArrayEquals("xy".getBytes(StandardCharsets.UTF_8), r.outBytes());
        r = run("write", "s1", "--from", "-");
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("does not exist"), r.err());

        r = run("ls");
        assertTrue(
                r.out().contains("SNAPSHOT")
                        && r.out().contains("s1")
                        && r.out().contains("s2"),
                r.out());
        assertEquals(0, run("rm", "s1").rc()); // cl still reads through it: hidden
        r = run("ls");
        assertFalse(r.out().contains("s1 "), r.out());
        r = run("tree");
        assertEquals(0, r.rc(), r.err());
        assertTrue(
                r.out().contains("@s1 (hidden)")
                        && r.out().contains("    cl")
                        && r.out().contains("  @s2"),
                r.out());
        r = run("tree", "cl");
        assertTrue(r.out().contains("cl") && !r.out().contains("@s2"), r.out());
        assertEquals(0, run("rm", "cl").rc());
        assertEquals(0, run("rm", "vol").rc());
        r = run("tree");
        assertTrue(
                r.out().contains("(deleted vdisk")
                        && r.out().contains("@s2")
                        && !r.out().contains("s1"),
                r.out());
        assertEquals(0, run("rm", "s2").rc());
        r = run("check");
        assertEquals(0, r.rc(), r.out());
        assertTrue(r.out().startsWith("clean: 0 vdisks"), r.out());
    }

    @Test
    void splitDetachesACloneWithProgressAndStatus() throws IOException {
        assertEquals(
                0,
                run("pool", "create", dir.resolve("pool").toString(), "--size", "32M", "--segment-size", "4K")
                        .rc());
        assertEquals(0, run("create", "v", "--size", "1M").rc());
        byte[] data = new byte[1 << 20];
        new Random(5).nextBytes(data);
        Path f = dir.resolve("in");
        Files.write(f, data);
        assertEquals(0, run("write", "v", "--from", f.toString()).rc());
        assertEquals(0, run("snapshot", "v", "s").rc());
        assertEquals(0, run("clone", "s", "c").rc());
        assertEquals(2, run("split", "c", "--mode", "sideways").rc());
        assertEquals(1, run("split", "s", "--mode", "copy").rc(), "a snapshot cannot be split");
        Result r = run("split", "c", "--mode", "copy", "--rate", "4MiB/s", "--wait");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("256 segments filled"), r.out());
        assertTrue(r.err().contains("split c ["), r.err());
        assertTrue(r.err().contains("ETA"), r.err());
        r = run("split", "--status");
        assertEquals(0, r.rc(), r.err());
        assertFalse(r.out().contains("c "), "a finished split is not listed: " + r.out());
        assertEquals(0, run("rm", "s").rc());
        assertEquals(0, run("rm", "v").rc());
        Path o = dir.resolve("out");
        assertEquals(0, run("read", "c", "--to", o.toString()).rc());
        assertArrayEquals(data, Files.readAllBytes(o));
        r = run("check");
        assertEquals(0, r.rc(), r.out());
    }

    @Test
    void splitStatusShowsASplitWhoseProcessDiedAsInterruptedWithWhatToDo() throws Exception {
        Path pool = dir.resolve("pool");
        assertEquals(
                0,
                run("pool", "create", pool.toString(), "--size", "32M", "--segment-size", "4K")
                        .rc());
        try (Pool p = Pool.open(pool)) {
            p.vdisks().create("v", 1 << 20);
            p.vdisks().get("v").write(0, ByteBuffer.allocateDirect(1 << 20));
            p.snapshots().take("v", "s");
            p.snapshots().clone("s", "c");
            SplitTask t = p.splits()
                    .start("c", SplitMode.COPY, SplitOptions.defaults().withRate(64 << 10));
            t.await(Duration.ofMillis(500));
            assertTrue(t.running(), t.progress().toString());
            p.checkpoint(); // the RUNNING record is durable, as it is in a 'vdisk split' that gets killed
        } // close stops the task and leaves its record RUNNING, like a kill
        Result r = run("split", "--status");
        assertEquals(0, r.rc(), r.err());
        String line = r.out()
                .lines()
                .filter(l -> l.startsWith("c "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(r.out()));
        assertTrue(line.contains(" interrupted "), line);
        assertFalse(line.contains("queued"), line);
        assertTrue(line.contains("'vdisk split c --mode copy' continues from the cursor"), line);
    }
}
