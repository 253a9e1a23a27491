package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.error.Reason;
import dev.vdisk.engine.error.SplitStateException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import dev.vdisk.engine.map.MapTree;
import dev.vdisk.engine.map.Node;
import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitPhase;
import dev.vdisk.engine.split.SplitProgress;
import dev.vdisk.engine.split.SplitTask;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Property 5 (the split): random histories of writes, discards, snapshots, clones of clones and deletions; then every
 * clone is split (SHARE or COPY) and must read byte for byte as before, have no backing in its lineage, survive the
 * deletion of every other entry, and keep the check clean; after COPY it shares no physical segment (data or indirect
 * block) with its former chain. Plus: write-wins under concurrent writers, cancel and resume from the cursor, out of
 * space (early refusal and pause midway), throttling, and the error cases.
 */
class SplitTest {
    @TempDir
    Path dir;

    static void clean(Pool pool, String when) {
        CheckReport c = pool.check();
        assertTrue(
                c.clean(),
                () -> when + ": " + c.problems() + " lineage " + pool.lineage().all());
    }

    /** Every VBN (indirect blocks and data) a tree references. */
    static Set<Long> vbns(Vdisk v) {
        Set<Long> out = new HashSet<>();
        v.map().lock().readLock().lock();
        try {
            v.map().tree().walk(new MapTree.Visitor() {
                @Override
                public boolean node(Node n, int level, long first, int crc) {
                    out.add(n.vbn());
                    return true;
                }

                @Override
                public void data(long vbn, long segment, Node parent) {
                    out.add(vbn);
                }
            });
        } finally {
            v.map().lock().readLock().unlock();
        }
        return out;
    }

    static Set<Long> chainVbns(Vdisk clone) {
        Set<Long> out = new HashSet<>();
        for (Vdisk b = clone.backing(); b != null; b = b.backing()) {
            out.addAll(vbns(b));
        }
        return out;
    }

    static SplitProgress run(Pool pool, String name, SplitMode mode) {
        SplitProgress p =
                pool.splits().start(name, mode, SplitOptions.defaults()).await(Duration.ofSeconds(30));
        assertEquals(SplitPhase.DONE, p.phase(), () -> "split of " + name + ": " + p);
        return p;
    }

    @ParameterizedTest(name = "segment size {0}, {1}")
    @CsvSource({"4096, SHARE", "4096, COPY", "16384, SHARE", "16384, COPY"})
    void splitClonesReadAsBeforeAndOutliveTheirChain(int segmentSize, SplitMode mode) {
        Random rnd = new Random(segmentSize * 31L + mode.ordinal());
        Path p = dir.resolve("p");
        Pool pool = TestPools.create(p, 48L << 20, segmentSize, TestPools.fastOptions());
        Map<String, byte[]> vdisks = new LinkedHashMap<>();
        Map<String, byte[]> snaps = new LinkedHashMap<>();
        int names = 0;
        try {
            vdisks.put("v0", new byte[segmentSize * 24]);
            pool.vdisks().create("v0", segmentSize * 24);
            for (int op = 0; op < 400; op++) {
                int r = rnd.nextInt(100);
                String vn = SnapshotModelTest.pick(rnd, vdisks.keySet());
                byte[] m = vdisks.get(vn);
                if (r < 50) {
                    int len = 1 + rnd.nextInt(2 * segmentSize);
                    len = Math.min(len, m.length);
                    int off = rnd.nextBoolean()
                            ? 4096 * rnd.nextInt((m.length - len) / 4096 + 1)
                            : rnd.nextInt(m.length - len + 1);
                    byte[] d = TestPools.filled(len, op + 1);
                    TestPools.write(pool.vdisks().get(vn), off, d);
                    System.arraycopy(d, 0, m, off, len);
                } else if (r < 60) {
                    int off = rnd.nextBoolean()
                            ? segmentSize * rnd.nextInt(m.length / segmentSize)
                            : rnd.nextInt(m.length);
                    int len = Math.min(
                            m.length - off,
                            rnd.nextBoolean() ? segmentSize * (1 + rnd.nextInt(3)) : 1 + rnd.nextInt(2 * segmentSize));
                    pool.vdisks().get(vn).discard(off, len);
                    Arrays.fill(m, off, off + len, (byte) 0);
                } else if (r < 72) {
                    String sn = "s" + names++;
                    pool.snapshots().take(vn, sn);
                    snaps.put(sn, m.clone());
                } else if (r < 82 && !snaps.isEmpty() && vdisks.size() < 6) {
                    String sn = SnapshotModelTest.pick(rnd, snaps.keySet());
                    String cn = "c" + names++;
                    pool.snapshots().clone(sn, cn);
                    vdisks.put(cn, snaps.get(sn).clone());
                } else if (r < 86 && snaps.size() > 2) {
                    String sn = SnapshotModelTest.pick(rnd, snaps.keySet());
                    pool.vdisks().delete(sn); // hidden if a clone reads through it
                    snaps.remove(sn);
                } else if (r < 88 && m.length < 40 * segmentSize) {
                    int grown = m.length + segmentSize * (1 + rnd.nextInt(4));
                    pool.vdisks().resize(vn, grown);
                    vdisks.put(vn, Arrays.copyOf(m, grown));
                }
            }
            long clones =
                    vdisks.keySet().stream().filter(n -> n.startsWith("c")).count();
            assertTrue(clones >= 2, "history made " + clones + " clones");
            // split every clone, youngest first half the time
            List<String> order = new ArrayList<>(vdisks.keySet());
            Collections.shuffle(order, rnd);
            for (String cn : order) {
                Vdisk c = pool.vdisks().get(cn);
                boolean backed = c.backing() != null;
                pool.drain();
                Set<Long> chain = chainVbns(c);
                run(pool, cn, mode);
                pool.checkpoint();
                assertArrayEquals(
                        vdisks.get(cn), ModelTest.readAll(pool.vdisks().get(cn)), "split " + cn);
                Pool pl = pool;
                assertTrue(
                        pl.lineage().all().stream()
                                .filter(l -> l.name().equals(cn))
                                .allMatch(l -> l.backingId() == 0),
                        () -> "lineage of " + cn + ": " + pl.lineage().all());
                if (mode == SplitMode.COPY && backed) {
                    Set<Long> mine = vbns(pool.vdisks().get(cn));
                    mine.retainAll(chain);
                    assertEquals(Set.of(), mine, "segments of " + cn + " still shared with its former chain");
                }
                clean(pool, "after splitting " + cn);
                for (var e : vdisks.entrySet()) {
                    assertArrayEquals(
                            e.getValue(),
                            ModelTest.readAll(pool.vdisks().get(e.getKey())),
                            "after split of " + cn + ": " + e.getKey());
                }
                for (var e : snaps.entrySet()) {
                    assertArrayEquals(
                            e.getValue(),
                            ModelTest.readAll(pool.snapshots().reader(e.getKey())),
                            "after split of " + cn + ": snapshot " + e.getKey());
                }
            }
            // reopen: the split state survives
            pool.close();
            pool = Pool.open(p, TestPools.fastOptions());
            clean(pool, "after reopen");
            // delete every snapshot and the original vdisk: the clones stay intact
            for (String sn : new ArrayList<>(snaps.keySet())) {
                pool.vdisks().delete(sn);
                clean(pool, "after deleting " + sn);
            }
            pool.vdisks().delete("v0");
            clean(pool, "after deleting v0");
            for (var e : vdisks.entrySet()) {
                if (!e.getKey().equals("v0")) {
                    assertArrayEquals(
                            e.getValue(), ModelTest.readAll(pool.vdisks().get(e.getKey())), "final " + e.getKey());
                }
            }
            Pool pp = pool;
            assertTrue(
                    pp.lineage().all().stream().allMatch(l -> !l.snapshot()),
                    () -> "hidden snapshots left after their dependents were split: "
                            + pp.lineage().all());
        } finally {
            pool.close();
        }
    }

    /** A clone of a fully written snapshot: {@code segments} segments of pattern 1. */
    static byte[] cloneOfFullSnapshot(Pool pool, int segmentSize, int segments, String clone) {
        byte[] base = TestPools.filled(segmentSize * segments, 1);
        pool.vdisks().create("base", base.length);
        TestPools.write(pool.vdisks().get("base"), 0, base);
        pool.snapshots().take("base", "snap");
        pool.snapshots().clone("snap", clone);
        return base;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"SHARE", "COPY"})
    void userWritesDuringTheSplitAlwaysWin(SplitMode mode) throws Exception {
        int seg = 4096;
        int segments = 1024;
        try (Pool pool = TestPools.create(dir.resolve("p"), 32L << 20, seg, TestPools.fastOptions())) {
            byte[] model = cloneOfFullSnapshot(pool, seg, segments, "c");
            Vdisk c = pool.vdisks().get("c");
            byte[] untouched = model.clone();
            int threads = 4;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            SplitTask task =
                    pool.splits().start("c", mode, SplitOptions.defaults().withRate(segments * (long) seg * 2));
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                ts.add(Thread.ofPlatform().start(() -> {
                    Random rnd = new Random(me);
                    try {
                        int i = 0;
                        while (task.running() || i < 50) {
                            // blocks owned by this thread: index % threads == me; blocks % 7 == 3 stay untouched
                            int b = rnd.nextInt(segments / threads) * threads + me;
                            if (b % 7 == 3) {
                                continue;
                            }
                            int off = rnd.nextInt(2) == 0 ? 0 : rnd.nextInt(seg - 1);
                            int len = 1 + rnd.nextInt(seg - off);
                            byte[] d = TestPools.filled(len, me * 1_000_000 + i++);
                            long at = (long) b * seg + off;
                            TestPools.write(c, at, d);
                            synchronized (model) {
                                System.arraycopy(d, 0, model, (int) at, len);
                            }
                            assertArrayEquals(d, TestPools.read(c, at, len), "read back of block " + b);
                            int u = (rnd.nextInt(segments / 7)) * 7 + 3; // untouched: must read the base
                            assertArrayEquals(
                                    Arrays.copyOfRange(untouched, u * seg, u * seg + seg),
                                    TestPools.read(c, (long) u * seg, seg),
                                    "untouched block " + u);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            // the check stays clean while the split runs; a snapshot of the clone taken midway keeps reading as taken
            int checks = 0;
            byte[] atSnapshot = null;
            while (task.running()) {
                CheckReport rep = pool.check();
                assertTrue(rep.clean(), () -> "check during the split: " + rep.problems());
                checks++;
                if (atSnapshot == null && task.progress().segmentsScanned() > segments / 3) {
                    pool.snapshots().take("c", "mid");
                    atSnapshot = ModelTest.readAll(pool.snapshots().reader("mid"));
                }
                Thread.sleep(20);
            }
            assertTrue(checks > 2, "checks during the split: " + checks);
            SplitProgress pr = task.await(Duration.ofSeconds(30));
            for (Thread t : ts) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(SplitPhase.DONE, pr.phase(), pr::toString);
            assertArrayEquals(model, ModelTest.readAll(c), "clone after the split");
            if (atSnapshot != null) {
                assertArrayEquals(
                        atSnapshot, ModelTest.readAll(pool.snapshots().reader("mid")), "snapshot taken midway");
                pool.vdisks().delete("mid");
            }
            pool.vdisks().delete("snap");
            pool.vdisks().delete("base");
            clean(pool, "after the split and deleting the chain");
            assertArrayEquals(model, ModelTest.readAll(c), "clone after deleting its chain");
        }
    }

    @Test
    void cancelThenResumeContinuesFromTheCursor() {
        int seg = 4096;
        int segments = 1500;
        Path p = dir.resolve("p");
        byte[] base;
        long c1;
        try (Pool pool = TestPools.create(p, 32L << 20, seg, TestPools.fastOptions())) {
            base = cloneOfFullSnapshot(pool, seg, segments, "c");
            SplitTask t = pool.splits()
                    .start("c", SplitMode.COPY, SplitOptions.defaults().withRate(segments * (long) seg));
            while (t.progress().segmentsScanned() < segments / 4) {
                Thread.onSpinWait();
            }
            t.cancel();
            SplitProgress p1 = t.await(Duration.ofSeconds(10));
            assertEquals(SplitPhase.CANCELLED, p1.phase(), p1::toString);
            c1 = p1.segmentsScanned();
            assertTrue(c1 > 0 && c1 < segments, "cursor " + c1);
            assertEquals(c1, p1.segmentsVisited(), "every segment of the full snapshot is a candidate");
            assertArrayEquals(base, ModelTest.readAll(pool.vdisks().get("c")), "clone after cancel");
            assertThrows(SplitStateException.class, () -> pool.splits()
                    .start("c", SplitMode.SHARE, SplitOptions.defaults()));
            clean(pool, "after cancel");
        }
        try (Pool pool = Pool.open(p, TestPools.fastOptions())) {
            List<SplitProgress> listed = pool.splits().progress();
            assertEquals(1, listed.size(), listed::toString);
            assertEquals(SplitPhase.CANCELLED, listed.get(0).phase());
            assertEquals(c1, listed.get(0).segmentsScanned(), "persisted cursor");
            assertTrue(pool.splits().resume().isEmpty(), "a cancelled split waits for a split call");
            SplitProgress p2 = pool.splits()
                    .start("c", SplitMode.COPY, SplitOptions.defaults())
                    .await(Duration.ofSeconds(30));
            assertEquals(SplitPhase.DONE, p2.phase(), p2::toString);
            assertEquals(segments - c1, p2.segmentsVisited(), "the second run starts at the cursor");
            assertEquals(segments, p2.segmentsFilled(), "filled over both runs");
            assertArrayEquals(base, ModelTest.readAll(pool.vdisks().get("c")));
            assertTrue(
                    pool.splits().progress().stream().allMatch(s -> s.phase() == SplitPhase.DONE),
                    () -> "" + pool.splits().progress());
            clean(pool, "after resume");
        }
        try (Pool pool = Pool.open(p, TestPools.fastOptions())) {
            assertEquals(List.of(), pool.splits().progress(), "a finished split leaves no record");
        }
    }

    @Test
    void copyRefusesEarlyAndPausesWhenTheSpaceRunsOut() throws Exception {
        int seg = 4096;
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 6L << 20, seg, TestPools.fastOptions())) {
            int segments = 600; // 2.4 MiB of a 6 MiB pool
            byte[] base = cloneOfFullSnapshot(pool, seg, segments, "c");
            pool.vdisks().create("filler", 4L << 20);
            byte[] junk = TestPools.filled(seg * 64, 9);
            long off = 0;
            try {
                for (; off + junk.length <= (4L << 20); off += junk.length) {
                    TestPools.write(pool.vdisks().get("filler"), off, junk);
                }
            } catch (OutOfSpaceException expected) {
                // the pool is nearly full
            }
            pool.drain();
            OutOfSpaceException e = assertThrows(
                    OutOfSpaceException.class, () -> pool.splits().start("c", SplitMode.COPY, SplitOptions.defaults()));
            assertTrue(e.getMessage().contains("copy split of vdisk c"), e.getMessage());
            assertEquals(List.of(), pool.splits().progress(), "a refused split is not recorded");
            // free some room: enough to pass the estimate, then take it away midway
            pool.vdisks().delete("filler");
            pool.checkpoint();
            pool.checkpoint();
            SplitTask t = pool.splits()
                    .start("c", SplitMode.COPY, SplitOptions.defaults().withRate(200L * seg));
            pool.vdisks().create("hog", 4L << 20);
            try {
                for (long o = 0; o + junk.length <= (4L << 20); o += junk.length) {
                    TestPools.write(pool.vdisks().get("hog"), o, junk);
                }
            } catch (OutOfSpaceException expected) {
                // the hog took what the split needed
            }
            pool.drain();
            SplitProgress paused = t.await(Duration.ofSeconds(30));
            assertEquals(SplitPhase.PAUSED, paused.phase(), paused::toString);
            assertNotNull(paused.error());
            assertTrue(paused.segmentsScanned() < segments, paused::toString);
            assertArrayEquals(base, ModelTest.readAll(pool.vdisks().get("c")), "clone while paused");
            clean(pool, "while paused");
            pool.vdisks().delete("hog");
            pool.checkpoint();
            pool.checkpoint();
            SplitProgress done = pool.splits()
                    .start("c", SplitMode.COPY, SplitOptions.defaults())
                    .await(Duration.ofSeconds(30));
            assertEquals(SplitPhase.DONE, done.phase(), done::toString);
            assertArrayEquals(base, ModelTest.readAll(pool.vdisks().get("c")), "clone after resume");
            pool.vdisks().delete("snap");
            pool.vdisks().delete("base");
            clean(pool, "after resume and deleting the chain");
        }
    }

    @Test
    void rateLimitSlowsTheSplit() {
        int seg = 4096;
        int segments = 400;
        try (Pool pool = TestPools.create(dir.resolve("p"), 16L << 20, seg, TestPools.fastOptions())) {
            byte[] base = cloneOfFullSnapshot(pool, seg, segments, "c");
            long rate = segments * (long) seg; // one second's worth
            long t0 = System.nanoTime();
            SplitProgress pr = pool.splits()
                    .start("c", SplitMode.SHARE, SplitOptions.defaults().withRate(rate))
                    .await(Duration.ofSeconds(30));
            double secs = (System.nanoTime() - t0) / 1e9;
            assertEquals(SplitPhase.DONE, pr.phase());
            assertTrue(secs >= 0.7, "split took " + secs + " s at a rate of one second's worth");
            assertArrayEquals(base, ModelTest.readAll(pool.vdisks().get("c")));
            clean(pool, "after a throttled split");
        }
    }

    /**
     * A clone mostly empty, its data at the start: the cursor crosses the first fifth slowly and the rest at once, so
     * progress and ETA are measured over the bytes to relocate (a 2 GiB clone holding 400 MB jumped from 20 % to done,
     * with an ETA about 3x too long; issue 16).
     */
    @Test
    void progressAndEtaAreMeasuredOverTheDataToRelocateNotTheCloneSize() throws InterruptedException {
        int seg = 4096;
        int dataSegments = 400;
        try (Pool pool = TestPools.create(dir.resolve("p"), 32L << 20, seg, TestPools.fastOptions())) {
            pool.vdisks().create("base", 2000L * seg);
            TestPools.write(pool.vdisks().get("base"), 0, TestPools.filled(dataSegments * seg, 7));
            pool.snapshots().take("base", "snap");
            pool.snapshots().clone("snap", "c");
            long data = (long) dataSegments * seg;
            long rate = data / 4; // four seconds
            SplitTask task = pool.splits()
                    .start("c", SplitMode.COPY, SplitOptions.defaults().withRate(rate));
            SplitProgress mid = task.progress();
            while (task.running() && !(mid.bytesRelocated() >= data * 3 / 10 && mid.bytesToRelocate() >= 0)) {
                Thread.sleep(20);
                mid = task.progress();
            }
            assertEquals(data, mid.bytesToRelocate(), mid::toString);
            assertTrue(mid.bytesRelocated() < data * 3 / 4, () -> "the split was not throttled: " + task.progress());
            assertTrue(
                    mid.segmentsScanned() * 100 / mid.segmentsTotal() < 20,
                    () -> "the cursor is still in the" + " first fifth, which is all the data: " + task.progress());
            long left = data - mid.bytesRelocated();
            long eta = mid.etaSeconds();
            assertTrue(
                    eta >= 0 && eta <= 2 * left / rate + 1,
                    () -> "ETA " + eta + " s for " + left + " bytes at " + rate + " B/s: " + task.progress());
            SplitProgress done = task.await(Duration.ofSeconds(30));
            assertEquals(SplitPhase.DONE, done.phase(), done::toString);
            assertEquals(done.bytesToRelocate(), done.bytesRelocated(), "everything counted was relocated");
            clean(pool, "after a measured split");
        }
    }

    @Test
    void idleOnlySplitWaitsWhileForegroundIoIsBusy() throws Exception {
        int seg = 4096;
        try (Pool pool = TestPools.create(dir.resolve("p"), 16L << 20, seg, TestPools.fastOptions())) {
            cloneOfFullSnapshot(pool, seg, 200, "c");
            Vdisk base = pool.vdisks().get("base");
            AtomicBoolean busy = new AtomicBoolean(true);
            Thread reader = Thread.ofPlatform().start(() -> {
                while (busy.get()) {
                    TestPools.read(base, 0, 4096); // thousands of reads per second
                }
            });
            Thread.sleep(50);
            SplitTask t = pool.splits()
                    .start("c", SplitMode.SHARE, SplitOptions.defaults().withIdleOnly(100));
            Thread.sleep(500);
            long scannedWhileBusy = t.progress().segmentsScanned();
            busy.set(false);
            reader.join();
            SplitProgress done = t.await(Duration.ofSeconds(30));
            assertEquals(SplitPhase.DONE, done.phase());
            assertTrue(
                    scannedWhileBusy < 200,
                    "split ran at full speed while foreground I/O was busy: " + scannedWhileBusy);
        }
    }

    @Test
    void errorCasesAndHiddenBackingFreed() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 16L << 20, 4096, TestPools.fastOptions())) {
            byte[] base = cloneOfFullSnapshot(pool, 4096, 64, "c");
            InvalidRangeException e = assertThrows(InvalidRangeException.class, () -> pool.splits()
                    .start("snap", SplitMode.SHARE, SplitOptions.defaults()));
            assertEquals(Reason.INVALID_ARGUMENT, e.reason());
            assertThrows(VdiskNotFoundException.class, () -> pool.splits()
                    .start("nope", SplitMode.SHARE, SplitOptions.defaults()));
            SplitProgress plain = pool.splits()
                    .start("base", SplitMode.COPY, SplitOptions.defaults())
                    .await(Duration.ofSeconds(5));
            assertEquals(SplitPhase.DONE, plain.phase(), "a vdisk without backing: nothing to do");
            long snapId = pool.snapshots().info("snap").id();
            pool.vdisks().delete("snap"); // hidden: c reads through it
            pool.vdisks().delete("base");
            assertEquals(List.of("c"), pool.lineage().dependents(snapId));
            long usedBefore = pool.info().usedBytes();
            run(pool, "c", SplitMode.COPY);
            assertTrue(
                    pool.lineage().all().stream().noneMatch(l -> l.id() == snapId),
                    () -> "" + pool.lineage().all());
            pool.checkpoint();
            pool.checkpoint();
            assertTrue(pool.info().usedBytes() <= usedBefore + 4 * 4096L, "the hidden snapshot's space came back");
            assertArrayEquals(base, ModelTest.readAll(pool.vdisks().get("c")));
            clean(pool, "after freeing the hidden backing");
            SplitProgress again = pool.splits()
                    .start("c", SplitMode.SHARE, SplitOptions.defaults())
                    .await(Duration.ofSeconds(5));
            assertEquals(SplitPhase.DONE, again.phase(), "splitting a split clone again is a no-op");
        }
    }

    @Test
    void closeStopsARunningSplitAndResumeSplitsContinuesIt() {
        int seg = 4096;
        int segments = 800;
        Path p = dir.resolve("p");
        byte[] base;
        try (Pool pool = TestPools.create(p, 32L << 20, seg, TestPools.fastOptions())) {
            base = cloneOfFullSnapshot(pool, seg, segments, "c");
            pool.snapshots().clone("snap", "gone");
            SplitTask t = pool.splits()
                    .start("c", SplitMode.SHARE, SplitOptions.defaults().withRate(segments * (long) seg));
            SplitTask g = pool.splits()
                    .start("gone", SplitMode.COPY, SplitOptions.defaults().withRate(segments * (long) seg));
            assertSame(
                    t,
                    pool.splits().start("c", SplitMode.SHARE, SplitOptions.defaults()),
                    "a second split returns the task");
            while (t.progress().segmentsScanned() < segments / 5 || g.progress().segmentsScanned() < 10) {
                Thread.onSpinWait();
            }
            pool.vdisks().delete("gone"); // deleting a clone under split ends its task
            assertEquals(SplitPhase.CANCELLED, g.await(Duration.ofSeconds(10)).phase());
            clean(pool, "after deleting a clone under split");
        } // close stops the split at a consistent point; its record stays RUNNING
        try (Pool pool = Pool.open(p, TestPools.fastOptions())) {
            List<SplitProgress> listed = pool.splits().progress();
            assertEquals(1, listed.size(), listed::toString);
            assertEquals(SplitPhase.QUEUED, listed.get(0).phase(), "recorded, not running until resumeSplits");
            long cursor = listed.get(0).segmentsScanned();
            assertTrue(cursor >= segments / 5 && cursor < segments, "persisted cursor " + cursor);
            List<SplitTask> resumed = pool.splits().resume();
            assertEquals(1, resumed.size());
            SplitProgress done = resumed.get(0).await(Duration.ofSeconds(30));
            assertEquals(SplitPhase.DONE, done.phase(), done::toString);
            assertEquals(segments - cursor, done.segmentsVisited(), "resumed from the cursor");
            assertArrayEquals(base, ModelTest.readAll(pool.vdisks().get("c")));
            clean(pool, "after the resumed split");
        }
    }
}
