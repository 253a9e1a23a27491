package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.split.SplitCursor;
import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitPhase;
import dev.vdisk.engine.split.SplitProgress;
import dev.vdisk.engine.split.SplitTask;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code Splitter}'s commit protocol at every crash point of a SHARE or COPY split: the split runs once on a recording data
 * space (rate-limited, with the task's own consistency points every 10 ms), and the pool is rebuilt as a crash right
 * after each data-space write from the {@code split} call to the pool's close would have left it (a kill, or a power
 * loss dropping writes not yet fsynced). Every image must open with a clean check, the clone must read as before, and
 * its durable state must be one the protocol allows: released (no backing, no record); never started (no record, and
 * not one fill in the map: a fill is never durable without the record); or running (a RUNNING record whose cursor has
 * no hole below it that still reads data through the chain). Recovery then finishes the split (resumed, or asked for
 * again when it never started) and the clone outlives its chain. COPY's in-kernel copies are recorded as writes of the
 * bytes copied, so a power loss drops the copies not yet fsynced: a map that pointed at one (data not flushed before
 * the point that made the map durable) reads wrong bytes.
 */
class SplitCrashPointTest {
    private static final int SEG = 4096;
    /** Three level-1 blocks of 256 entries, the last one partial. */
    private static final int SEGMENTS = 600;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} power loss {1}")
    @CsvSource({"SHARE, false", "SHARE, true", "COPY, false", "COPY, true"})
    void everyCrashPointOfASplitIsOneTheProtocolAllows(SplitMode mode, boolean powerLoss) throws Exception {
        Path p = dir.resolve("p");
        ByteBuffer b = ByteBuffer.allocateDirect(SEG);
        try (Pool pool = TestPools.create(p, 4L * SEGMENTS * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("base", (long) SEGMENTS * SEG);
            for (int s = 0; s < SEGMENTS; s++) {
                CrashChild.content(b.clear(), 0, s, s);
                pool.vdisks().get("base").write((long) s * SEG, b);
            }
            pool.snapshots().take("base", "snap");
            pool.snapshots().clone("snap", "c");
            for (int s = 7; s < SEGMENTS; s += 41) { // the clone's own writes: the splitter must leave them alone
                CrashChild.content(b.clear(), 1, s, s);
                pool.vdisks().get("c").write((long) s * SEG, b);
            }
            pool.drain();
        }
        long[][] expected;
        boolean[] holeBefore = new boolean[SEGMENTS];
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            Vdisk c = pool.vdisks().get("c");
            expected = decodeAll(c);
            for (int s = 0; s < SEGMENTS; s++) {
                holeBefore[s] = MapEntry.isHole(entry(c, s));
            }
        }
        Path initial = dir.resolve("initial.data");
        Files.copy(p.resolve(PoolFiles.DATA), initial);
        RecordingDataSpace.Log rec = new RecordingDataSpace.Log(p.resolve(PoolFiles.JOURNAL));
        int start;
        int done;
        PoolOptions options = TestPools.quietOptions().withCheckpointIntervalMillis(10);
        try (Pool pool = Pool.open(p, options, d -> new RecordingDataSpace(d, rec))) {
            start = rec.count();
            // ~150 ms at this rate: a dozen of the task's own points fall inside the split
            SplitProgress pr = pool.splits()
                    .start("c", mode, SplitOptions.defaults().withRate(16L << 20))
                    .await(Duration.ofSeconds(30));
            assertEquals(SplitPhase.DONE, pr.phase(), pr::toString);
            done = rec.count();
        }
        assertTrue(done - start > 10, "the split wrote only " + (done - start) + " times: too few points inside it");
        List<String> failures = new ArrayList<>();
        Random rnd = new Random(powerLoss ? 17 : 3);
        Path images = Files.isDirectory(Path.of("/dev/shm"))
                ? Files.createTempDirectory(Path.of("/dev/shm"), "splitpoints")
                : dir.resolve("images");
        int[] seen = new int[3];
        try {
            for (int n = start; n <= rec.count(); n++) {
                Path img = images.resolve("img" + n);
                rec.crashImage(initial, n, powerLoss ? new Random(rnd.nextLong()) : null, img);
                try {
                    seen[verify(img, mode, n > done, expected, holeBefore)]++;
                } catch (AssertionError | RuntimeException e) {
                    failures.add("crash right after write " + (n - 1) + " (split from write " + start + " to " + done
                            + "): " + e);
                }
                deleteTree(img);
            }
        } finally {
            deleteTree(images);
        }
        assertTrue(
                failures.isEmpty(),
                failures.size() + " of " + (rec.count() - start + 1) + " crash points fail:\n"
                        + failures.stream().limit(12).collect(Collectors.joining("\n")));
        assertTrue(seen[2] > 0, "no crash point found the split running midway: " + Arrays.toString(seen));
        assertTrue(seen[0] > 0, "no crash point found the split released: " + Arrays.toString(seen));
    }

    /** Checks one image; returns 0 released, 1 never started, 2 running. */
    private static int verify(Path img, SplitMode mode, boolean acknowledged, long[][] expected, boolean[] holeBefore) {
        int state;
        try (Pool pool = Pool.open(img, TestPools.quietOptions())) {
            var report = pool.check();
            assertTrue(report.clean(), () -> "check after open: " + report.problems());
            Vdisk c = pool.vdisks().get("c");
            assertArrayEquals(expected, decodeAll(c), "the clone's content");
            SplitCursor r = c.split();
            if (c.backing() == null) {
                assertNull(r, "released, yet a split record is left: " + r);
                state = 0;
            } else {
                assertFalse(acknowledged, "the split was DONE, yet the clone still reads through its backing");
                if (r == null) {
                    for (int s = 0; s < SEGMENTS; s++) {
                        assertTrue(
                                !holeBefore[s] || MapEntry.isHole(entry(c, s)),
                                "no split record, yet segment " + s + " was filled");
                    }
                    state = 1;
                } else {
                    assertEquals(SplitCursor.State.RUNNING, r.state(), r::toString);
                    for (long s = 0; s < Math.min(r.cursor(), SEGMENTS); s++) {
                        assertFalse(
                                MapEntry.isHole(entry(c, s)) && MapEntry.isMapped(throughChain(c, s)),
                                "segment " + s + " below the cursor " + r.cursor() + " still reads the backing");
                    }
                    state = 2;
                }
            }
            // recovery: the pool's owner resumes recorded splits and asks again for one that never started
            List<SplitTask> resumed = pool.splits().resume();
            assertEquals(state == 2 ? 1 : 0, resumed.size(), "splits resumed");
            if (state != 0) {
                SplitProgress pr =
                        pool.splits().start("c", mode, SplitOptions.defaults()).await(Duration.ofSeconds(30));
                assertEquals(SplitPhase.DONE, pr.phase(), pr::toString);
            }
            assertNull(c.backing(), "backing after the recovered split");
            pool.vdisks().delete("snap");
            pool.vdisks().delete("base");
            var after = pool.check();
            assertTrue(after.clean(), () -> "check after deleting the chain: " + after.problems());
            assertArrayEquals(expected, decodeAll(c), "the clone after deleting its chain");
        }
        return state;
    }

    private static void deleteTree(Path p) throws IOException {
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    private static long entry(Vdisk v, long s) {
        v.map().lock().readLock().lock();
        try {
            return v.map().tree().lookup(s);
        } finally {
            v.map().lock().readLock().unlock();
        }
    }

    /** What a hole at {@code s} reads through the clone's chain: the first entry that is not a hole. */
    private static long throughChain(Vdisk clone, long s) {
        for (Vdisk x = clone.backing(); x != null; x = x.backing()) {
            long w = entry(x, s);
            if (s * SEG >= x.sizeWithoutCheck() || !MapEntry.isHole(w)) {
                return s * SEG >= x.sizeWithoutCheck() ? MapEntry.HOLE : w;
            }
        }
        return MapEntry.HOLE;
    }

    private static long[][] decodeAll(Vdisk v) {
        ByteBuffer all = ByteBuffer.allocateDirect(SEGMENTS * SEG);
        v.read(0, all);
        long[][] out = new long[SEGMENTS][];
        for (int s = 0; s < SEGMENTS; s++) {
            long[] d = CrashChild.decode(all, s * SEG);
            assertNotNull(d, "segment " + s + " of " + v.name() + " is torn or foreign");
            assertEquals(s, d[2], "segment " + s + " of " + v.name() + " holds another segment's data");
            out[s] = new long[] {d[0], d[1]};
        }
        return out;
    }
}
