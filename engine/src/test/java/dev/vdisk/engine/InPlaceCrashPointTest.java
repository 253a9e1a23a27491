package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * In-place writes under crashes, deterministically: a vdisk written whole and checkpointed (so its segments take
 * writes in place) gets rounds of writes where the same segments go in place and through the journal alternately
 * (a segment written through the journal, discarded or copied after a snapshot stays on the journal until a point
 * covers it), with flushes, consistency points between writes (explicit and by timer), a snapshot, a discard of a
 * whole and of a partial segment, and a crash and reopen halfway. Recorded on a {@link RecordingDataSpace}; every crash
 * point (a kill, and a power loss dropping unsynced data-space writes at random) must open with a clean check, every
 * block holding its last write acknowledged by a completed flush (or a later one already issued), the snapshot its
 * content, and a delta from the snapshot must reproduce the vdisk (no change mark lost).
 */
class InPlaceCrashPointTest {
    private static final int BLOCKS = 32;
    private static final int BLOCK = CrashChild.BLOCK;
    private static final int ROUNDS = 12;
    private static final int WRITES_PER_ROUND = 5;
    private static final int SNAPSHOT_ROUND = 3;
    private static final int DISCARD_ROUND = 5;
    private static final int REOPEN_ROUND = 7;
    /** A value that stands for zeros (a discard). */
    private static final int ZERO = -1;

    @TempDir
    Path dir;

    /** One step; {@code before}/{@code after}: data-space writes issued when it started/returned (see SnapshotCrashPointTest). */
    private record Op(String kind, int before, int after, Map<Integer, Integer> blocks) {
        boolean done(int n) {
            return after < n;
        }

        boolean started(int n) {
            return before < n;
        }
    }

    @ParameterizedTest(name = "segment size {0}, power loss {1}, timer {2} ms")
    @CsvSource({
        "4096, false, 0",
        "4096, true, 0",
        "16384, false, 0",
        "16384, true, 0",
        "16384, false, 2",
        "16384, true, 2"
    })
    void everyCrashPointKeepsEveryFlushedWrite(int segmentSize, boolean powerLoss, int timerMillis) throws Exception {
        PoolOptions options = timerMillis == 0
                ? TestPools.quietOptions()
                : TestPools.quietOptions().withCheckpointIntervalMillis(timerMillis);
        Path p = dir.resolve("p");
        ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
        Map<Integer, Integer> now = new HashMap<>();
        try (Pool pool = TestPools.create(p, 128L * segmentSize, segmentSize, TestPools.quietOptions())) {
            pool.vdisks().create("v", (long) BLOCKS * BLOCK);
            Vdisk v = pool.vdisks().get("v");
            for (int blk = 0; blk < BLOCKS; blk++) {
                CrashChild.content(b, 1, blk, blk);
                v.write((long) blk * BLOCK, b);
                now.put(blk, blk);
            }
            pool.drain();
        }
        Path initial = dir.resolve("initial.data");
        Files.copy(p.resolve(PoolFiles.DATA), initial);
        RecordingDataSpace.Log rec = new RecordingDataSpace.Log(p.resolve(PoolFiles.JOURNAL));
        List<Op> history = new ArrayList<>();
        Map<Integer, Integer> snapContent = new HashMap<>();
        long inPlace = runHistory(
                () -> Pool.open(p, options, d -> new RecordingDataSpace(d, rec)),
                rec,
                history,
                now,
                snapContent,
                segmentSize);
        assertTrue(inPlace >= ROUNDS * WRITES_PER_ROUND / 3, "only " + inPlace + " writes went in place");
        int points = rec.count();
        List<String> failures = new ArrayList<>();
        Path images = Files.isDirectory(Path.of("/dev/shm"))
                ? Files.createTempDirectory(Path.of("/dev/shm"), "inplace")
                : dir.resolve("images");
        Random rnd = new Random(segmentSize * 7L + (powerLoss ? 1 : 0) + timerMillis);
        try {
            for (int n = 0; n <= points; n++) {
                Path img = images.resolve("img" + n);
                rec.crashImage(initial, n, powerLoss ? new Random(rnd.nextLong()) : null, img);
                try {
                    verify(img, n, history, snapContent);
                } catch (AssertionError | RuntimeException e) {
                    failures.add("crash right after write " + (n - 1) + " of " + points + " (" + opAt(history, n)
                            + "): " + e);
                }
                deleteTree(img);
            }
        } finally {
            deleteTree(images);
        }
        assertTrue(
                failures.isEmpty(),
                failures.size() + " of " + (points + 1) + " crash points fail (" + inPlace + " in-place writes):\n"
                        + failures.stream().limit(12).collect(Collectors.joining("\n")));
    }

    /** Runs the rounds; returns how many writes went in place. */
    private static long runHistory(
            Supplier<Pool> opener,
            RecordingDataSpace.Log rec,
            List<Op> history,
            Map<Integer, Integer> now,
            Map<Integer, Integer> snapContent,
            int segmentSize) {
        int perSeg = segmentSize / BLOCK;
        Pool pool = opener.get();
        Vdisk v = pool.vdisks().get("v");
        ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
        Random rnd = new Random(17);
        int written = BLOCKS;
        long inPlace = 0;
        for (int t = 0; t < ROUNDS; t++) {
            int before = rec.count();
            Map<Integer, Integer> blocks = new HashMap<>();
            while (blocks.size() < WRITES_PER_ROUND) {
                int blk = rnd.nextInt(BLOCKS);
                if (blocks.containsKey(blk)) {
                    continue;
                }
                CrashChild.content(b, 1, written, blk);
                v.write((long) blk * BLOCK, b);
                blocks.put(blk, written++);
                if (t % 3 == 1 && blocks.size() == 2) {
                    pool.checkpoint(); // a point between writes: the journal's segments take the next in place
                }
            }
            v.flush();
            history.add(new Op("write", before, rec.count(), blocks));
            now.putAll(blocks);
            if (t == SNAPSHOT_ROUND) {
                before = rec.count();
                pool.snapshots().take("v", "s");
                history.add(new Op("snapshot", before, rec.count(), Map.of()));
                snapContent.putAll(now);
            }
            if (t == DISCARD_ROUND) {
                before = rec.count();
                Map<Integer, Integer> zeros = new HashMap<>();
                // segment 1 whole, and the last block of segment 2 (a partial discard when segments hold several)
                v.discard((long) perSeg * BLOCK, (long) perSeg * BLOCK);
                for (int k = 0; k < perSeg; k++) {
                    zeros.put(perSeg + k, ZERO);
                }
                v.discard((long) (3 * perSeg - 1) * BLOCK, BLOCK);
                zeros.put(3 * perSeg - 1, ZERO);
                v.flush();
                history.add(new Op("write", before, rec.count(), zeros));
                now.putAll(zeros);
            }
            if (t % 2 == 0) {
                pool.checkpoint(); // the next round's writes to segments written in this one go in place
            }
            if (t == REOPEN_ROUND) {
                inPlace += v.inPlaceWrites();
                pool.abandonForTesting(); // a crash after a flush: recovery's writes are crash points too
                pool = opener.get();
                v = pool.vdisks().get("v");
            }
        }
        inPlace += v.inPlaceWrites();
        pool.close();
        return inPlace;
    }

    private static void verify(Path img, int n, List<Op> history, Map<Integer, Integer> snapContent) {
        try (Pool pool = Pool.open(img, TestPools.quietOptions())) {
            var report = pool.check();
            assertTrue(report.clean(), () -> "check after open: " + report.problems());
            Integer[] got = decodeAll(pool.vdisks().get("v"));
            for (int blk = 0; blk < BLOCKS; blk++) {
                Integer acked = blk; // the setup's write
                List<Integer> later = new ArrayList<>();
                for (Op o : history) {
                    if (o.blocks().containsKey(blk)) {
                        if (o.done(n)) {
                            acked = o.blocks().get(blk);
                            later.clear();
                        } else if (o.started(n)) {
                            later.add(o.blocks().get(blk));
                        }
                    }
                }
                int x = blk;
                Integer a = acked;
                assertTrue(
                        is(got[x], a) || later.stream().anyMatch(w -> is(got[x], w)),
                        () -> "block " + x + " holds " + got[x] + ", expected " + a + " or one of " + later);
            }
            Op snap = history.stream()
                    .filter(o -> o.kind().equals("snapshot"))
                    .findFirst()
                    .orElseThrow();
            boolean present =
                    pool.snapshots().list().stream().anyMatch(s -> s.name().equals("s"));
            if (snap.done(n)) {
                assertTrue(present, "snapshot s was acknowledged but is missing");
            }
            if (!present) {
                return;
            }
            Integer[] s = decodeAll(pool.snapshots().reader("s"));
            for (int blk = 0; blk < BLOCKS; blk++) {
                int x = blk;
                assertTrue(
                        is(s[x], snapContent.get(x)),
                        () -> "snapshot block " + x + " holds " + s[x] + ", taken with " + snapContent.get(x));
            }
            // every change since the snapshot is marked: a delta to a snapshot of the vdisk now reproduces it
            pool.snapshots().take("v", "after");
            byte[] copy = bytes(pool.snapshots().reader("s"));
            DeltaTest.apply(pool, pool.extents().delta("s", "after", 0), "after", copy);
            assertArrayEquals(bytes(pool.snapshots().reader("after")), copy, "delta from s misses a change");
            var after = pool.check();
            assertTrue(after.clean(), () -> "check after the delta: " + after.problems());
        }
    }

    private static boolean is(Integer got, Integer write) {
        return write == ZERO ? got == null : got != null && got.equals(write);
    }

    private static byte[] bytes(Vdisk v) {
        ByteBuffer all = ByteBuffer.allocateDirect(BLOCKS * BLOCK);
        v.read(0, all);
        byte[] out = new byte[BLOCKS * BLOCK];
        all.flip().get(out);
        return out;
    }

    /** Each block's write id, null for zeros. */
    private static Integer[] decodeAll(Vdisk v) {
        ByteBuffer all = ByteBuffer.allocateDirect(BLOCKS * BLOCK);
        v.read(0, all);
        Integer[] out = new Integer[BLOCKS];
        for (int blk = 0; blk < BLOCKS; blk++) {
            boolean zero = true;
            for (int i = 0; i < BLOCK && zero; i += 8) {
                zero = all.getLong(blk * BLOCK + i) == 0;
            }
            if (!zero) {
                long[] d = CrashChild.decode(all, blk * BLOCK);
                assertNotNull(d, "block " + blk + " of " + v.name() + " is torn or foreign");
                assertEquals(blk, d[2], "block " + blk + " of " + v.name() + " holds another block's data");
                out[blk] = (int) d[1];
            }
        }
        return out;
    }

    private static String opAt(List<Op> history, int n) {
        for (Op o : history) {
            if (o.before() < n && n <= o.after()) {
                return "during " + o.kind();
            }
        }
        return "between operations";
    }

    private static void deleteTree(Path p) throws IOException {
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
