package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitPhase;
import dev.vdisk.engine.split.SplitProgress;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property 3 and 5 with a split in flight: a child JVM ({@link SplitCrashChild}) splits two clones (SHARE and COPY)
 * of a fully written snapshot while writing to them; we SIGKILL it at random moments (at least 10 rounds). After each
 * kill: the check is clean (so no segment leaked: every counted segment is referenced), every flushed write is in
 * its clone, every other block holds the base or a write of the round, and the persisted cursor never goes back. The
 * next child resumes the splits from their cursors; at the end the splits complete, the chain is deleted, and the
 * clones still read correctly.
 */
class SplitCrashTest {
    @TempDir
    Path dir;

    @Test
    void killedSplitterResumesAndCompletes() throws Exception {
        Path p = dir.resolve("p");
        int blocks = CrashChild.BLOCKS;
        try (Pool pool = TestPools.create(p, 64L << 20, 4096, TestPools.fastOptions())) {
            pool.vdisks().create("base", (long) blocks * CrashChild.BLOCK);
            ByteBuffer all = ByteBuffer.allocateDirect(blocks * CrashChild.BLOCK);
            ByteBuffer b = ByteBuffer.allocateDirect(CrashChild.BLOCK);
            for (int blk = 0; blk < blocks; blk++) {
                CrashChild.content(b, 0, blk, blk);
                all.put(b);
            }
            pool.vdisks().get("base").write(0, all.flip());
            pool.snapshots().take("base", "snap");
            pool.snapshots().clone("snap", "cs");
            pool.snapshots().clone("snap", "cc");
        }
        Map<String, long[][]> start = new HashMap<>();
        try (Pool pool = Pool.open(p, TestPools.fastOptions())) {
            start.put("cs", decodeAll(pool.vdisks().get("cs")));
            start.put("cc", decodeAll(pool.vdisks().get("cc")));
        }
        Map<String, Long> cursor = new HashMap<>(Map.of("cs", 0L, "cc", 0L));
        Random rnd = new Random(11);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
        int resumed = 0;
        int midway = 0;
        int round;
        for (round = 1; round <= 12 && System.nanoTime() < deadline; round++) {
            String javaCmd = ProcessHandle.current().info().command().orElseThrow();
            Process child = new ProcessBuilder(
                            javaCmd,
                            "--enable-native-access=ALL-UNNAMED",
                            "-Xshare:auto",
                            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                            "-cp",
                            System.getProperty("java.class.path"),
                            SplitCrashChild.class.getName(),
                            p.toString(),
                            Integer.toString(round))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            AtomicLong lastFlushed = new AtomicLong(-1);
            AtomicInteger ready = new AtomicInteger();
            AtomicInteger resumes = new AtomicInteger();
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        String[] w = line.split(" ");
                        switch (w[0]) {
                            case "FLUSHED" -> lastFlushed.set(Long.parseLong(w[1]));
                            case "READY" -> ready.set(1);
                            case "RESUMED" -> resumes.incrementAndGet();
                            default -> {}
                        }
                    }
                } catch (Exception e) {
                    // the child died
                }
            });
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (ready.get() == 0 && child.isAlive() && System.nanoTime() < waitUntil) {
                Thread.sleep(5);
            }
            assertEquals(1, ready.get(), "child of round " + round + " did not start");
            Thread.sleep(100 + rnd.nextInt(900));
            ChildProcessKill.sigkillAndReadAll(child, reader, round);
            resumed += resumes.get();
            int flushed = (int) lastFlushed.get();
            int[] seq = CrashChild.sequence(round, flushed + 2000);
            try (Pool pool = Pool.open(p, TestPools.fastOptions())) {
                var report = pool.check();
                int rr = round;
                assertTrue(report.clean(), () -> "round " + rr + " check: " + report.problems());
                for (String c : List.of("cs", "cc")) {
                    long[][] now = decodeAll(pool.vdisks().get(c));
                    long[][] was = start.get(c);
                    for (int blk = 0; blk < blocks; blk++) {
                        int last = lastWriteTo(seq, c, blk, flushed);
                        long[] got = now[blk];
                        if (last >= 0) {
                            assertTrue(
                                    got != null
                                            && got[0] == round
                                            && got[1] >= last
                                            && SplitCrashChild.blockOf(seq, (int) got[1]) == blk
                                            && SplitCrashChild.cloneOf((int) got[1])
                                                    .equals(c),
                                    "round " + round + ": flushed write " + last + " to block " + blk + " of " + c
                                            + " missing: " + Arrays.toString(got));
                        } else if (!Arrays.equals(was[blk], got)) {
                            assertTrue(
                                    got != null
                                            && got[0] == round
                                            && SplitCrashChild.cloneOf((int) got[1])
                                                    .equals(c),
                                    "round " + round + ": block " + blk + " of " + c + " holds "
                                            + Arrays.toString(got)
                                            + ", not the base or a write of the round");
                        }
                    }
                    start.put(c, now);
                }
                for (SplitProgress s : pool.splits().progress()) {
                    long before = cursor.get(s.vdiskName());
                    assertTrue(
                            s.segmentsScanned() >= before,
                            "round " + round + ": cursor of " + s.vdiskName() + " went back from " + before + " to "
                                    + s.segmentsScanned());
                    assertEquals(
                            SplitPhase.QUEUED, s.phase(), "after a crash a running split is recorded, not running");
                    cursor.put(s.vdiskName(), s.segmentsScanned());
                    if (s.segmentsScanned() > 0 && s.segmentsScanned() < s.segmentsTotal()) {
                        midway++;
                    }
                }
            }
        }
        assertTrue(round > 10, "at least 10 rounds ran, got " + (round - 1));
        assertTrue(resumed > 0, "no split was ever resumed from a persisted record");
        assertTrue(midway >= 3, "a kill found a split half done only " + midway + " times");
        try (Pool pool = Pool.open(p, TestPools.fastOptions())) {
            pool.splits().resume();
            for (String c : List.of("cs", "cc")) {
                SplitProgress done = pool.splits()
                        .start(c, c.equals("cs") ? SplitMode.SHARE : SplitMode.COPY, SplitOptions.defaults())
                        .await(Duration.ofSeconds(30));
                assertEquals(SplitPhase.DONE, done.phase(), done::toString);
            }
            pool.vdisks().delete("snap");
            pool.vdisks().delete("base");
            var report = pool.check();
            assertTrue(report.clean(), () -> "final check: " + report.problems());
            assertTrue(
                    pool.lineage().all().stream().noneMatch(Lineage::snapshot),
                    () -> "" + pool.lineage().all());
            for (String c : List.of("cs", "cc")) {
                long[][] now = decodeAll(pool.vdisks().get(c));
                for (int blk = 0; blk < blocks; blk++) {
                    assertArrayEquals(start.get(c)[blk], now[blk], c + " block " + blk + " after the final split");
                }
            }
        }
    }

    private static int lastWriteTo(int[] seq, String clone, int blk, int upTo) {
        for (int i = upTo; i >= 0; i--) {
            if (SplitCrashChild.blockOf(seq, i) == blk
                    && SplitCrashChild.cloneOf(i).equals(clone)) {
                return i;
            }
        }
        return -1;
    }

    private static long[][] decodeAll(Vdisk v) {
        ByteBuffer all = ByteBuffer.allocateDirect(CrashChild.BLOCKS * CrashChild.BLOCK);
        v.read(0, all);
        long[][] out = new long[CrashChild.BLOCKS][];
        for (int blk = 0; blk < CrashChild.BLOCKS; blk++) {
            long[] d = CrashChild.decode(all, blk * CrashChild.BLOCK);
            assertNotNull(d, "block " + blk + " of " + v.name() + " is torn or foreign");
            assertEquals(blk, d[2], "block " + blk + " of " + v.name() + " holds another block's data");
            out[blk] = new long[] {d[0], d[1]};
        }
        return out;
    }
}
