package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.format.ChangeIndexSegment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Change indexes in their own segments under crashes (properties 3 and 6): a history of writes spread over several
 * change-index ranges, snapshots (which freeze the vdisk's set into the youngest snapshot's index), points between
 * writes (which write the vdisk's current set) and deletions of middle snapshots (which merge an index into its
 * predecessor's) is recorded once; the pool is rebuilt as a kill and as a power loss right after each of its
 * data-space writes. Every image must open with a clean check (no leaked or doubly used index segment, every index
 * segment matching its CRC), hold every acknowledged snapshot, and give deltas between any two of its snapshots that
 * miss no segment whose content differs.
 */
class ChangeIndexCrashPointTest {
    private static final int SEG = 4096;
    private static final long RANGE = (long) ChangeIndexSegment.pagesPerSegment(SEG) * ChangeSet.PAGE_BITS;
    private static final int ROUNDS = 8;
    private static final long[] SEGS = new long[8];

    static {
        for (int r = 0; r < SEGS.length; r++) {
            SEGS[r] = r * RANGE + r;
        }
    }

    @TempDir
    Path dir;

    /** A snapshot's creation or deletion; {@code before}/{@code after}: data-space writes when it started/returned. */
    private record Op(boolean create, String name, int before, int after) {}

    @ParameterizedTest(name = "power loss {0}")
    @ValueSource(booleans = {false, true})
    void everyCrashPointKeepsIndexesThatMissNoChange(boolean powerLoss) throws Exception {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 512L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 30);
        }
        Path initial = dir.resolve("initial.data");
        Files.copy(p.resolve(PoolFiles.DATA), initial);
        RecordingDataSpace.Log rec = new RecordingDataSpace.Log(p.resolve(PoolFiles.JOURNAL));
        List<Op> history = new ArrayList<>();
        try (Pool pool = Pool.open(p, TestPools.quietOptions(), d -> new RecordingDataSpace(d, rec))) {
            Vdisk v = pool.vdisks().get("v");
            Random rnd = new Random(11);
            for (int t = 0; t < ROUNDS; t++) {
                for (int i = 0; i < 3; i++) {
                    long seg = SEGS[rnd.nextInt(SEGS.length)];
                    TestPools.write(v, seg * SEG, TestPools.filled(SEG, t * 10 + i + 1));
                }
                if (t % 2 == 1) {
                    pool.checkpoint(); // the vdisk's current set goes to its segments
                }
                v.flush();
                int before = rec.count();
                pool.snapshots().take("v", "s" + t);
                history.add(new Op(true, "s" + t, before, rec.count()));
                if (t >= 3 && t % 2 == 1) {
                    String middle = "s" + (t - 2);
                    before = rec.count();
                    pool.vdisks().delete(middle); // its index merges into its predecessor's
                    history.add(new Op(false, middle, before, rec.count()));
                }
            }
        }
        int points = rec.count();
        List<String> failures = new ArrayList<>();
        Path images = Files.isDirectory(Path.of("/dev/shm"))
                ? Files.createTempDirectory(Path.of("/dev/shm"), "indexpoints")
                : dir.resolve("images");
        Random rnd = new Random(powerLoss ? 3 : 4);
        try {
            for (int n = 0; n <= points; n++) {
                Path img = images.resolve("img" + n);
                rec.crashImage(initial, n, powerLoss ? new Random(rnd.nextLong()) : null, img);
                try {
                    verify(img, n, history);
                } catch (AssertionError | RuntimeException e) {
                    failures.add("crash right after write " + (n - 1) + " of " + points + ": " + e);
                }
                deleteTree(img);
            }
        } finally {
            deleteTree(images);
        }
        assertTrue(points > 50, "the history wrote " + points + " times");
        assertTrue(
                failures.isEmpty(),
                failures.size() + " of " + (points + 1) + " crash points fail:\n"
                        + failures.stream().limit(10).collect(Collectors.joining("\n")));
    }

    private static void verify(Path img, int n, List<Op> history) {
        try (Pool pool = Pool.open(img, TestPools.quietOptions())) {
            var report = pool.check();
            assertTrue(report.clean(), () -> "check after open: " + report.problems());
            List<String> present = pool.snapshots().of("v").stream()
                    .map(SnapshotInfo::name)
                    .sorted(Comparator.comparingInt(s -> Integer.parseInt(s.substring(1))))
                    .toList();
            for (Op op : history) {
                boolean deleteStarted =
                        history.stream().anyMatch(o -> !o.create() && o.name().equals(op.name()) && o.before() < n);
                if (op.create() && op.after() < n && !deleteStarted) {
                    assertTrue(present.contains(op.name()), "acknowledged snapshot " + op.name() + " is missing");
                }
                if (!op.create() && op.after() < n) {
                    assertFalse(present.contains(op.name()), "deleted snapshot " + op.name() + " is back");
                }
            }
            for (int i = 0; i < present.size(); i++) {
                for (int j = i + 1; j < present.size(); j++) {
                    deltaMissesNothing(pool, present.get(i), present.get(j));
                }
            }
        }
    }

    private static void deltaMissesNothing(Pool pool, String older, String younger) {
        List<Extent> delta = DeltaTest.collect(pool.extents().delta(older, younger, 0));
        Vdisk l = pool.snapshots().reader(older);
        Vdisk m = pool.snapshots().reader(younger);
        for (long seg : SEGS) {
            long off = seg * SEG;
            if (!Arrays.equals(TestPools.read(l, off, SEG), TestPools.read(m, off, SEG))) {
                assertTrue(
                        delta.stream().anyMatch(e -> e.offset() <= off && off < e.end()),
                        "delta " + older + ".." + younger + " misses segment " + seg + ": " + delta);
            }
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
