package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SnapshotCrashTest}'s history made deterministic: the same rhythm of writes, snapshots, clones and deletions
 * (a clone of snapshot s2; s2 deleted while the clone reads through it, so hidden; then s3, the next-younger snapshot,
 * deleted; then the clone, which frees s2; then everything else) is run once on a recording data space, and the pool
 * is rebuilt as a crash right after each of its writes would have left it (a kill; a power loss that drops writes not
 * yet fsynced at random; with and without timer consistency points in between). Every image must open with a clean
 * check, hold every acknowledged object with its exact content and no object whose deletion was acknowledged, and let
 * everything be deleted again with a clean check.
 */
class SnapshotCrashPointTest {
    private static final int BLOCKS = 64;
    private static final int BLOCK = CrashChild.BLOCK;
    private static final int WRITES_PER_SNAPSHOT = 6;
    private static final int CLONE_BLOCKS = 3;
    private static final int CLONE_TAG = 1 << 20;
    private static final int ROUNDS = 12;

    @TempDir
    Path dir;

    /**
     * One step of the history; {@code before}/{@code after}: data-space writes issued when it started/returned. The
     * image of crash point {@code n} is the pool right after write {@code n - 1}: a step is acknowledged there once
     * that write came after its return (its final fsync, or its journal records, are then in the image), and may
     * have left traces once it started.
     */
    private record Op(String kind, String name, int before, int after, Map<Integer, Integer> blocks) {
        boolean done(int n) {
            return after < n;
        }

        boolean started(int n) {
            return before < n;
        }
    }

    @ParameterizedTest(name = "segment size {0}, power loss {1}, timer {2} ms")
    @CsvSource({"4096, false, 0", "4096, true, 0", "16384, false, 0", "16384, true, 0", "16384, false, 2"})
    void everyCrashPointKeepsEveryAcknowledgedObject(int segmentSize, boolean powerLoss, int timerMillis)
            throws Exception {
        PoolOptions options = timerMillis == 0
                ? TestPools.quietOptions()
                : TestPools.quietOptions().withCheckpointIntervalMillis(timerMillis);
        Path p = dir.resolve("p");
        // small enough that freed segments are reused within the history
        try (Pool pool = TestPools.create(p, 128L * segmentSize, segmentSize, TestPools.quietOptions())) {
            pool.vdisks().create("crash", (long) BLOCKS * BLOCK);
        }
        Path initial = dir.resolve("initial.data");
        Files.copy(p.resolve(PoolFiles.DATA), initial);
        RecordingDataSpace.Log rec = new RecordingDataSpace.Log(p.resolve(PoolFiles.JOURNAL));
        List<Op> history = new ArrayList<>();
        Map<String, Map<Integer, Integer>> snapContent = new HashMap<>();
        Map<String, String> cloneOf = new LinkedHashMap<>();
        runHistory(
                () -> Pool.open(p, options, d -> new RecordingDataSpace(d, rec)), rec, history, snapContent, cloneOf);
        int points = rec.count();
        List<String> failures = new ArrayList<>();
        // images on tmpfs when there is one: each open and delete syncs, and there are hundreds of images
        Path images = Files.isDirectory(Path.of("/dev/shm"))
                ? Files.createTempDirectory(Path.of("/dev/shm"), "crashpoints")
                : dir.resolve("images");
        try {
            checkImages(
                    rec,
                    initial,
                    points,
                    powerLoss,
                    new Random(segmentSize * 31L + (powerLoss ? 1 : 0)),
                    images,
                    history,
                    snapContent,
                    cloneOf,
                    failures);
        } finally {
            deleteTree(images);
        }
        assertTrue(
                failures.isEmpty(),
                failures.size() + " of " + (points + 1) + " crash points fail:\n"
                        + failures.stream().limit(12).collect(Collectors.joining("\n")));
    }

    private static void checkImages(
            RecordingDataSpace.Log rec,
            Path initial,
            int points,
            boolean powerLoss,
            Random rnd,
            Path images,
            List<Op> history,
            Map<String, Map<Integer, Integer>> snapContent,
            Map<String, String> cloneOf,
            List<String> failures)
            throws IOException {
        for (int n = 0; n <= points; n++) {
            Path img = images.resolve("img" + n);
            rec.crashImage(initial, n, powerLoss ? new Random(rnd.nextLong()) : null, img);
            try {
                verify(img, n, history, snapContent, cloneOf);
            } catch (AssertionError | RuntimeException e) {
                failures.add(
                        "crash right after write " + (n - 1) + " of " + points + " (" + opAt(history, n) + "): " + e);
            }
            deleteTree(img);
        }
    }

    /**
     * A snapshot's deletion releases its tree in memory before the consistency point that makes it durable; a
     * segment it shared with its vdisk is then exclusive in memory, so a write in that gap would be destaged in place,
     * over data the durable pool still gives to the snapshot. A crash before the point then brings the snapshot back
     * with the vdisk's new bytes. The write and the destager's turn happen in the gap (the destager gets a third of
     * a second); no crash point may show the snapshot with other content than it was taken with.
     */
    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 16384})
    void writeDuringASnapshotDeletionNeverReachesTheSnapshot(int segmentSize) throws Exception {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 128L * segmentSize, segmentSize, TestPools.quietOptions())) {
            pool.vdisks().create("crash", (long) BLOCKS * BLOCK);
        }
        Path initial = dir.resolve("initial.data");
        Files.copy(p.resolve(PoolFiles.DATA), initial);
        RecordingDataSpace.Log rec = new RecordingDataSpace.Log(p.resolve(PoolFiles.JOURNAL));
        ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
        int deleteStart;
        int deleteEnd;
        try (Pool pool = Pool.open(p, TestPools.quietOptions(), d -> new RecordingDataSpace(d, rec))) {
            Vdisk v = pool.vdisks().get("crash");
            CrashChild.content(b, 1, 0, 0);
            v.write(0, b);
            v.flush();
            pool.snapshots().take("crash", "s0"); // destages block 0 and shares it
            pool.vdisks().beforeDeletePoint = () -> {
                CrashChild.content(b, 1, 1, 0);
                v.write(0, b);
                v.flush();
                long until = System.nanoTime() + 300_000_000L;
                while (!v.parts().table().isEmpty() && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            };
            deleteStart = rec.count();
            pool.vdisks().delete("s0");
            deleteEnd = rec.count();
            pool.vdisks().beforeDeletePoint = () -> {};
        }
        List<String> failures = new ArrayList<>();
        Path images = Files.isDirectory(Path.of("/dev/shm"))
                ? Files.createTempDirectory(Path.of("/dev/shm"), "crashpoints")
                : dir.resolve("images");
        try {
            for (int n = deleteStart; n <= deleteEnd; n++) {
                Path img = images.resolve("img" + n);
                rec.crashImage(initial, n, null, img);
                try (Pool pool = Pool.open(img, TestPools.quietOptions())) {
                    var report = pool.check();
                    if (!report.clean()) {
                        failures.add("crash right after write " + (n - 1) + ": check " + report.problems());
                    }
                    if (pool.snapshots().list().stream().anyMatch(x -> x.name().equals("s0"))) {
                        long[] got = decodeAll(pool.snapshots().reader("s0"))[0];
                        if (!is(got, 0)) {
                            failures.add("crash right after write " + (n - 1) + ": snapshot s0 block 0 holds write "
                                    + Arrays.toString(got) + ", taken with write 0");
                        }
                    }
                }
                deleteTree(img);
            }
        } finally {
            deleteTree(images);
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * SnapshotCrashChild's rhythm, {@link #ROUNDS} snapshots, then everything but the vdisk deleted. Odd rounds take
     * a consistency point between their writes and their flush (as the child's timer does); halfway the pool is
     * abandoned (a crash after a flush) and opened again, so that recovery's writes are crash points too.
     */
    private static void runHistory(
            Supplier<Pool> opener,
            RecordingDataSpace.Log rec,
            List<Op> history,
            Map<String, Map<Integer, Integer>> snapContent,
            Map<String, String> cloneOf) {
        Pool pool = opener.get();
        Vdisk v = pool.vdisks().get("crash");
        Map<Integer, Integer> now = new HashMap<>();
        ArrayDeque<String> snaps = new ArrayDeque<>();
        ArrayDeque<String> clones = new ArrayDeque<>();
        ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
        Random rnd = new Random(5);
        int written = 0;
        for (int t = 0; t < ROUNDS; t++) {
            int before = rec.count();
            Map<Integer, Integer> blocks = new HashMap<>();
            while (blocks.size() < WRITES_PER_SNAPSHOT) { // distinct blocks: one candidate value per block and op
                int blk = rnd.nextInt(BLOCKS);
                if (blocks.containsKey(blk)) {
                    continue;
                }
                CrashChild.content(b, 1, written, blk);
                v.write((long) blk * BLOCK, b);
                blocks.put(blk, written++);
            }
            if (t % 2 == 1) {
                pool.checkpoint();
            }
            v.flush();
            history.add(new Op("write", "crash", before, rec.count(), blocks));
            now.putAll(blocks);
            String s = "s" + t;
            before = rec.count();
            pool.snapshots().take("crash", s);
            history.add(new Op("create", s, before, rec.count(), null));
            snapContent.put(s, new HashMap<>(now));
            snaps.add(s);
            if (t % 2 == 0) {
                String c = "c" + t;
                before = rec.count();
                pool.snapshots().clone(s, c);
                history.add(new Op("create", c, before, rec.count(), null));
                cloneOf.put(c, s);
                before = rec.count();
                Vdisk cv = pool.vdisks().get(c);
                Map<Integer, Integer> cb = new HashMap<>();
                for (int k = 0; k < CLONE_BLOCKS; k++) {
                    int blk = SnapshotCrashChild.cloneBlock(t, k) % BLOCKS;
                    CrashChild.content(b, 1, CLONE_TAG + t, blk);
                    cv.write((long) blk * BLOCK, b);
                    cb.put(blk, CLONE_TAG + t);
                }
                cv.flush();
                history.add(new Op("write", c, before, rec.count(), cb));
                clones.add(c);
            }
            if (snaps.size() > 3) {
                delete(pool, rec, history, snaps.poll()); // may back a clone: becomes hidden
            }
            if (clones.size() > 2) {
                delete(pool, rec, history, clones.poll()); // may free a hidden snapshot
            }
            if (t == ROUNDS / 2) {
                pool.abandonForTesting();
                pool = opener.get();
                v = pool.vdisks().get("crash");
            }
        }
        while (!snaps.isEmpty() || !clones.isEmpty()) {
            delete(pool, rec, history, snaps.isEmpty() ? clones.poll() : snaps.poll());
        }
        pool.close();
    }

    private static void delete(Pool pool, RecordingDataSpace.Log rec, List<Op> history, String name) {
        int before = rec.count();
        pool.vdisks().delete(name);
        history.add(new Op("delete", name, before, rec.count(), null));
    }

    private static void verify(
            Path img,
            int n,
            List<Op> history,
            Map<String, Map<Integer, Integer>> snapContent,
            Map<String, String> cloneOf) {
        try (Pool pool = Pool.open(img, TestPools.quietOptions())) {
            var report = pool.check();
            assertTrue(report.clean(), () -> "check after open: " + report.problems());
            Set<String> snaps =
                    pool.snapshots().list().stream().map(SnapshotInfo::name).collect(Collectors.toSet());
            Set<String> vdisks =
                    pool.vdisks().list().stream().map(VdiskInfo::name).collect(Collectors.toSet());
            Set<String> all = pool.lineage().all().stream().map(Lineage::name).collect(Collectors.toSet());
            for (String name : snapContent.keySet()) {
                checkObject(pool, n, history, name, snaps, all, snapContent.get(name), Map.of(), null);
            }
            for (var c : cloneOf.entrySet()) {
                Op w = history.stream()
                        .filter(o -> o.kind().equals("write") && o.name().equals(c.getKey()))
                        .findFirst()
                        .orElseThrow();
                checkObject(pool, n, history, c.getKey(), vdisks, all, snapContent.get(c.getValue()), w.blocks(), w);
            }
            checkVdisk(pool.vdisks().get("crash"), n, history);
            // what SnapshotCrashTest does next: delete everything but the vdisk
            for (String name : new TreeSet<>(vdisks)) {
                if (!name.equals("crash")) {
                    pool.vdisks().delete(name);
                }
            }
            for (String name : new TreeSet<>(snaps)) {
                pool.vdisks().delete(name);
            }
            assertEquals(
                    List.of("crash"),
                    pool.lineage().all().stream().map(Lineage::name).toList(),
                    "after deleting all");
            var after = pool.check();
            assertTrue(after.clean(), () -> "check after deleting all: " + after.problems());
        }
    }

    /**
     * Object {@code name}: present with its content (the snapshot's, plus {@code own} blocks once {@code ownWrite}
     * is acknowledged) when created and not being deleted; absent before its creation started and after its deletion
     * was acknowledged; either in between.
     */
    private static void checkObject(
            Pool pool,
            int n,
            List<Op> history,
            String name,
            Set<String> listed,
            Set<String> inCatalog,
            Map<Integer, Integer> base,
            Map<Integer, Integer> own,
            Op ownWrite) {
        Op created = history.stream()
                .filter(o -> o.kind().equals("create") && o.name().equals(name))
                .findFirst()
                .orElseThrow();
        Op deleted = history.stream()
                .filter(o -> o.kind().equals("delete") && o.name().equals(name))
                .findFirst()
                .orElse(null);
        boolean present = listed.contains(name);
        if (created.done(n) && (deleted == null || !deleted.started(n))) {
            assertTrue(present, name + " was acknowledged and not deleted, but is missing; catalog " + inCatalog);
        }
        if (!created.started(n)) {
            assertFalse(inCatalog.contains(name), name + " exists before its creation started");
        }
        if (deleted != null && deleted.done(n)) {
            assertFalse(present, name + " is listed after its deletion was acknowledged");
        }
        if (!present) {
            return;
        }
        Vdisk v = snapContent(pool, name, ownWrite);
        long[][] got = decodeAll(v);
        for (int blk = 0; blk < BLOCKS; blk++) {
            Integer mine = own.get(blk);
            Integer old = base.get(blk);
            boolean ok = ownWrite != null && mine != null && ownWrite.done(n)
                    ? is(got[blk], mine)
                    : ownWrite != null && mine != null && ownWrite.started(n)
                            ? is(got[blk], mine) || is(got[blk], old)
                            : is(got[blk], old);
            int b = blk;
            assertTrue(
                    ok,
                    () -> name + " block " + b + " holds " + Arrays.toString(got[b]) + ", expected " + old
                            + (mine == null ? "" : " or " + mine));
        }
    }

    private static Vdisk snapContent(Pool pool, String name, Op ownWrite) {
        return ownWrite == null ? pool.snapshots().reader(name) : pool.vdisks().get(name);
    }

    /** The vdisk: each block holds its last acknowledged write or a later one already started. */
    private static void checkVdisk(Vdisk v, int n, List<Op> history) {
        long[][] got = decodeAll(v);
        for (int blk = 0; blk < BLOCKS; blk++) {
            Integer acked = null;
            List<Integer> later = new ArrayList<>();
            for (Op o : history) {
                if (o.kind().equals("write")
                        && o.name().equals("crash")
                        && o.blocks().containsKey(blk)) {
                    if (o.done(n)) {
                        acked = o.blocks().get(blk);
                        later.clear();
                    } else if (o.started(n)) {
                        later.add(o.blocks().get(blk));
                    }
                }
            }
            int b = blk;
            boolean ok = is(got[b], acked) || later.stream().anyMatch(x -> is(got[b], x));
            Integer a = acked;
            assertTrue(
                    ok,
                    () -> "vdisk block " + b + " holds " + Arrays.toString(got[b]) + ", expected " + a + " or one of "
                            + later);
        }
    }

    private static boolean is(long[] got, Integer write) {
        return write == null ? got == null : got != null && got[0] == 1 && got[1] == write;
    }

    private static long[][] decodeAll(Vdisk v) {
        ByteBuffer all = ByteBuffer.allocateDirect(BLOCKS * BLOCK);
        v.read(0, all);
        long[][] out = new long[BLOCKS][];
        for (int blk = 0; blk < BLOCKS; blk++) {
            boolean zero = true;
            for (int i = 0; i < BLOCK && zero; i += 8) {
                zero = all.getLong(blk * BLOCK + i) == 0;
            }
            if (!zero) {
                long[] d = CrashChild.decode(all, blk * BLOCK);
                assertNotNull(d, "block " + blk + " of " + v.name() + " is torn or foreign");
                assertEquals(blk, d[2], "block " + blk + " of " + v.name() + " holds another block's data");
                out[blk] = new long[] {d[0], d[1]};
            }
        }
        return out;
    }

    private static String opAt(List<Op> history, int n) {
        for (Op o : history) {
            if (o.before() < n && n <= o.after()) {
                return "during " + o.kind() + " " + o.name();
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
