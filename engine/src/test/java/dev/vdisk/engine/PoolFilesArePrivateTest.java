package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.api.agent.SplitStatusFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every file of a pool is 0600 and every directory 0700 from its creation, whatever the umask; a pool made before
 * that rule is brought to it when opened; and so a non-root user (nobody) cannot read a volume's bytes in
 * {@code pool.data}. The pool lies in a 0755 directory under /tmp, so nothing but the pool's own modes keeps nobody out.
 */
class PoolFilesArePrivateTest {
    private static final byte[] SECRET = "a volume's data that only root may read".getBytes(StandardCharsets.UTF_8);

    private Path base;
    private Path pool;

    @BeforeEach
    void setUp() throws IOException {
        base = Files.createTempDirectory(Path.of("/tmp"), "vdisk-pool-files-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        pool = base.resolve("pool");
    }

    @AfterEach
    void tearDown() throws IOException {
        try (Stream<Path> paths = Files.walk(base)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A pool with a written volume, a snapshot, a journal and a split-status file: every kind of file it has. */
    private void makePool() throws IOException {
        try (Pool p = TestPools.create(pool, 8L << 20, 4096, TestPools.fastOptions())) {
            p.vdisks().create("vol-a", 1L << 20);
            TestPools.write(p.vdisks().get("vol-a"), 0, SECRET);
            p.vdisks().get("vol-a").flush();
            p.snapshots().take("vol-a", "snap-a");
            SplitStatusFile.write(pool, ProcessHandle.current().pid(), System.currentTimeMillis(), List.of());
        }
    }

    /** Path relative to the pool -> mode, e.g. "pool.data" -> "rw-------", for every file and directory. */
    private TreeMap<String, String> modes() throws IOException {
        TreeMap<String, String> modes = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(pool)) {
            for (Path p : paths.toList()) {
                modes.put(
                        pool.relativize(p).toString(),
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)));
            }
        }
        return modes;
    }

    private TreeMap<String, String> expectedModes() throws IOException {
        TreeMap<String, String> expected = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(pool)) {
            for (Path p : paths.toList()) {
                expected.put(pool.relativize(p).toString(), Files.isDirectory(p) ? "rwx------" : "rw-------");
            }
        }
        return expected;
    }

    @Test
    void everyFileOfANewPoolIs0600AndEveryDirectory0700() throws IOException {
        makePool();
        TreeMap<String, String> modes = modes();
        assertTrue(
                modes.keySet()
                        .containsAll(
                                List.of("", "pool.data", "pool.lock", "pool.properties", "journal", "split-status")),
                "the pool has its files: " + modes.keySet());
        assertTrue(
                modes.keySet().stream().anyMatch(p -> p.startsWith("journal/")), "a journal file: " + modes.keySet());
        assertEquals(expectedModes(), modes);
    }

    @Test
    void openingAPoolWithLooserModesTightensEveryPath() throws IOException {
        makePool();
        List<Path> all;
        try (Stream<Path> paths = Files.walk(pool)) {
            all = paths.toList();
        }
        for (Path p : all) {
            Files.setPosixFilePermissions(
                    p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
        try (Pool p = Pool.open(pool, TestPools.fastOptions())) {
            assertEquals(
                    SECRET.length,
                    TestPools.read(p.vdisks().get("vol-a"), 0, SECRET.length).length,
                    "the pool still opens");
        }
        assertEquals(expectedModes(), modes());
    }

    @Test
    void nobodyCannotReadAVolumesBytesInPoolData() throws Exception {
        requireRootAndSetpriv();
        makePool();
        // the setup lets nobody through: a world-readable file beside the pool is readable
        Path control = base.resolve("control");
        Files.writeString(control, "readable");
        Files.setPosixFilePermissions(control, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(0, asNobody("cat", control.toString()).exitCode(), "nobody reads a 0644 file beside the pool");

        for (String file : List.of("pool.data", "journal", "pool.properties")) {
            Run r = asNobody(
                    "grep",
                    "-rac",
                    new String(SECRET, StandardCharsets.UTF_8),
                    pool.resolve(file).toString());
            assertNotEquals(0, r.exitCode(), "nobody grepped " + file + ": " + r.output());
            assertTrue(r.output().contains("Permission denied"), r.output());
            assertFalse(r.output().contains(":1"), r.output());
        }
        assertTrue(asNobody("ls", pool.toString()).output().contains("Permission denied"), "nobody lists the pool");
    }

    private record Run(int exitCode, String output) {}

    private static Run asNobody(String... command) throws IOException, InterruptedException {
        List<String> all =
                new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        all.addAll(List.of(command));
        Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", all) + " timed out");
        return new Run(p.exitValue(), out);
    }

    /** Running as another user needs root and setpriv: fails on CI without them, else skips saying why. */
    private static void requireRootAndSetpriv() throws IOException {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        boolean setpriv = Stream.of("/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv")
                .anyMatch(t -> Files.isExecutable(Path.of(t)));
        String missing =
                uid != 0 ? "not running as root (uid " + uid + ")" : !setpriv ? "setpriv is not installed" : null;
        if (missing != null) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("cannot run a command as nobody: " + missing);
            }
            Assumptions.abort("skipped: cannot run a command as nobody: " + missing);
        }
    }
}
