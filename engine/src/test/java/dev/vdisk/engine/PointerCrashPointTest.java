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
 * Write anywhere under crashes, deterministically: a fresh vdisk (all holes) gets rounds of block and whole-segment
 * writes, a whole segment's first write going to a new segment with only a pointer journalled, then journal and
 * in-place writes to the same segments, and a clone of its snapshot journal writes (its holes read the snapshot), with flushes, points (explicit
 * and by timer), a whole-segment discard written again afterwards (a zero entry), and a crash and reopen halfway (the
 * replay installs pointers). Recorded on a {@link RecordingDataSpace}: every crash point (right after each data-space
 * write: the new segment's bytes, the destager's, a point's; the journal as the page cache had it, so that a pointer
 * may be there while its segment's bytes were lost) is opened as a kill and as a power loss and must give a clean
 * check, every block its last write acknowledged by a completed flush (or a later one already issued), blocks never
 * written zeros (vdisk) or the snapshot's bytes (clone), and the snapshot unchanged.
 */
class PointerCrashPointTest {
    private static final int BLOCKS = 48;
    private static final int BLOCK = CrashChild.BLOCK;
    private static final int ROUNDS = 10;
    private static final int WRITES_PER_ROUND = 4;
    private static final int SNAPSHOT_ROUND = 1;
    private static final int DISCARD_ROUND = 3;
    private static final int REOPEN_ROUND = 6;
    /** Keys of the clone's blocks in the model: CLONE + block. */
    private static final int CLONE = 1000;
    /** A value that stands for zeros (never written, or discarded). */
    private static final int ZERO = -1;

    @TempDir
    Path dir;

    /** One step; {@code before}/{@code after}: data-space writes issued when it started/returned. */
    private record Op(int before, int after, Map<Integer, Integer> blocks) {
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
    void everyCrashPointKeepsEveryFlushedWriteAndNothingElse(int segmentSize, boolean powerLoss, int timerMillis)
            throws Exception {
        PoolOptions options = timerMillis == 0
                ? TestPools.quietOptions()
                : TestPools.quietOptions().withCheckpointIntervalMillis(timerMillis);
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 256L * segmentSize, segmentSize, TestPools.quietOptions())) {
            pool.vdisks().create("v", (long) BLOCKS * BLOCK);
        }
        Path initial = dir.resolve("initial.data");
        Files.copy(p.resolve(PoolFiles.DATA), initial);
        RecordingDataSpace.Log rec = new RecordingDataSpace.Log(p.resolve(PoolFiles.JOURNAL));
        List<Op> history = new ArrayList<>();
        Map<Integer, Integer> snapContent = new HashMap<>();
        long pointers = runHistory(
                () -> Pool.open(p, options, d -> new RecordingDataSpace(d, rec)),
                rec,
                history,
                snapContent,
                segmentSize);
        assertTrue(pointers >= (segmentSize == BLOCK ? BLOCKS / 3 : 2), "only " + pointers + " writes went anywhere");
        int points = rec.count();
        List<String> failures = new ArrayList<>();
        Path images = Files.isDirectory(Path.of("/dev/shm"))
                ? Files.createTempDirectory(Path.of("/dev/shm"), "pointer")
                : dir.resolve("images");
        Random rnd = new Random(segmentSize * 11L + (powerLoss ? 1 : 0) + timerMillis);
        try {
            for (int n = 0; n <= points; n++) {
                Path img = images.resolve("img" + n);
                rec.crashImage(initial, n, powerLoss ? new Random(rnd.nextLong()) : null, img);
                try {
                    verify(img, n, history, snapContent);
                } catch (AssertionError | RuntimeException e) {
                    failures.add("crash right after write " + (n - 1) + " of " + points + ": " + e);
                }
                deleteTree(img);
            }
        } finally {
            deleteTree(images);
        }
        assertTrue(
                failures.isEmpty(),
                failures.size() + " of " + (points + 1) + " crash points fail (" + pointers + " pointer writes):\n"
                        + failures.stream().limit(12).collect(Collectors.joining("\n")));
    }

    /** Runs the rounds; returns how many segment pieces went to new segments with a pointer journalled. */
    private static long runHistory(
            Supplier<Pool> opener,
            RecordingDataSpace.Log rec,
            List<Op> history,
            Map<Integer, Integer> snapContent,
            int segmentSize) {
        Pool pool = opener.get();
        Vdisk v = pool.vdisks().get("v");
        Vdisk c = null;
        ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
        Random rnd = new Random(29);
        Map<Integer, Integer> now = new HashMap<>();
        int written = 1;
        long pointers = 0;
        for (int t = 0; t < ROUNDS; t++) {
            int before = rec.count();
            Map<Integer, Integer> blocks = new HashMap<>();
            while (blocks.size() < WRITES_PER_ROUND) {
                boolean toClone = c != null && rnd.nextBoolean();
                int blk = rnd.nextInt(BLOCKS);
                int key = toClone ? CLONE + blk : blk;
                if (blocks.containsKey(key)) {
                    continue;
                }
                int perSeg = segmentSize / BLOCK;
                if (!toClone && perSeg > 1 && rnd.nextBoolean()) {
                    // a whole segment (only those go anywhere): one write of each of its blocks
                    int first = blk - blk % perSeg;
                    ByteBuffer whole = ByteBuffer.allocateDirect(segmentSize);
                    for (int k = 0; k < perSeg; k++) {
                        CrashChild.content(b, 1, written, first + k);
                        whole.put(k * BLOCK, b, 0, BLOCK);
                        blocks.put(first + k, written++);
                    }
                    v.write((long) first * BLOCK, whole);
                    continue;
                }
                CrashChild.content(b, 1, written, blk);
                (toClone ? c : v).write((long) blk * BLOCK, b);
                blocks.put(key, written++);
                if (t % 3 == 2 && blocks.size() == 2) {
                    pool.checkpoint(); // a point between writes: pointers of this round leave the replay window
                }
            }
            v.flush();
            history.add(new Op(before, rec.count(), blocks));
            now.putAll(blocks);
            if (t == SNAPSHOT_ROUND) {
                pool.snapshots().take("v", "s");
                pool.snapshots().clone("s", "c");
                c = pool.vdisks().get("c");
                for (int blk = 0; blk < BLOCKS; blk++) {
                    snapContent.put(blk, now.getOrDefault(blk, ZERO));
                }
            }
            if (t == DISCARD_ROUND) {
                before = rec.count();
                int perSeg = segmentSize / BLOCK;
                Map<Integer, Integer> zeros = new HashMap<>();
                v.discard(0, (long) perSeg * BLOCK); // segment 0 whole: a zero entry, written anywhere again later
                for (int k = 0; k < perSeg; k++) {
                    zeros.put(k, ZERO);
                }
                v.flush();
                history.add(new Op(before, rec.count(), zeros));
                now.putAll(zeros);
                pool.drain();
                pool.checkpoint();
            }
            if (t % 2 == 0) {
                pool.checkpoint();
            }
            if (t == REOPEN_ROUND) {
                pointers += v.parts().pointers().writes() + c.parts().pointers().writes();
                pool.abandonForTesting(); // a crash after a flush: the replay installs pointers
                pool = opener.get();
                v = pool.vdisks().get("v");
                c = pool.vdisks().get("c");
            }
        }
        pointers += v.parts().pointers().writes() + c.parts().pointers().writes();
        pool.close();
        return pointers;
    }

    private static void verify(Path img, int n, List<Op> history, Map<Integer, Integer> snapContent) {
        try (Pool pool = Pool.open(img, TestPools.quietOptions())) {
            var report = pool.check();
            assertTrue(report.clean(), () -> "check after open: " + report.problems());
            boolean hasClone =
                    pool.vdisks().list().stream().anyMatch(i -> i.name().equals("c"));
            Integer[] got = decodeAll(pool.vdisks().get("v"));
            Integer[] clone = hasClone ? decodeAll(pool.vdisks().get("c")) : null;
            Integer[] snap = hasClone ? decodeAll(pool.snapshots().reader("s")) : null;
            for (int blk = 0; blk < BLOCKS; blk++) {
                expect(history, n, blk, got[blk], ZERO, "vdisk");
                if (hasClone) {
                    int x = blk;
                    assertTrue(
                            is(snap[x], snapContent.get(x)),
                            () -> "snapshot block " + x + " holds " + snap[x] + ", taken with " + snapContent.get(x));
                    expect(history, n, CLONE + blk, clone[blk], snapContent.get(blk), "clone");
                }
            }
        }
    }

    /** Block {@code key} holds its last write done before crash point {@code n}, or one started before it. */
    private static void expect(List<Op> history, int n, int key, Integer got, Integer initial, String what) {
        Integer acked = initial;
        List<Integer> later = new ArrayList<>();
        for (Op o : history) {
            if (o.blocks().containsKey(key)) {
                if (o.done(n)) {
                    acked = o.blocks().get(key);
                    later.clear();
                } else if (o.started(n)) {
                    later.add(o.blocks().get(key));
                }
            }
        }
        Integer a = acked;
        assertTrue(
                is(got, a) || later.stream().anyMatch(w -> is(got, w)),
                () -> what + " block " + (key % CLONE) + " holds " + got + ", expected " + a + " or one of " + later);
    }

    private static boolean is(Integer got, Integer write) {
        return write == ZERO ? got == null : got != null && got.equals(write);
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
