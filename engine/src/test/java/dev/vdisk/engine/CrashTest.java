package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.PoolLockedException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property 3 with a real process: a child JVM writes a known sequence and reports completed flushes; we SIGKILL it
 * at random moments, reopen, and require every write acknowledged before the last completed flush (or a later write
 * of the same block), no torn or foreign block, and a clean check. Rounds build on each other's recovered state.
 */
class CrashTest {
    @TempDir
    Path dir;

    @Test
    void killedWriterLosesNoFlushedWrite() throws Exception {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 16L << 20, 16384, TestPools.fastOptions())) {
            pool.vdisks().create("crash", (long) CrashChild.BLOCKS * CrashChild.BLOCK);
        }
        long[][] state = new long[CrashChild.BLOCKS][]; // {round, i} of each block's content, null = zeros
        Random rnd = new Random(42);
        int rounds = 20;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(75);
        int totalFlushed = 0;
        for (int round = 1; round <= rounds && System.nanoTime() < deadline; round++) {
            String javaCmd = ProcessHandle.current().info().command().orElseThrow();
            Process child = new ProcessBuilder(
                            javaCmd,
                            "--enable-native-access=ALL-UNNAMED",
                            "-Xshare:auto",
                            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                            "-cp",
                            System.getProperty("java.class.path"),
                            CrashChild.class.getName(),
                            p.toString(),
                            Integer.toString(round))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            AtomicLong lastFlushed = new AtomicLong(-1);
            AtomicInteger ready = new AtomicInteger();
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("FLUSHED ")) {
                            lastFlushed.set(Long.parseLong(line.substring(8)));
                        } else if (line.equals("READY")) {
                            ready.set(1);
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
            if (round == 1) {
                PoolLockedException locked = assertThrows(PoolLockedException.class, () -> Pool.open(p));
                assertTrue(locked.getMessage().contains("pid " + child.pid()), locked.getMessage());
            }
            Thread.sleep(50 + rnd.nextInt(600));
            ChildProcessKill.sigkillAndReadAll(child, reader, round);
            long flushed = lastFlushed.get();
            totalFlushed += flushed + 1;

            int[] seq = CrashChild.sequence(round, (int) Math.max(flushed + 1, 0) + 1);
            long[] required = new long[CrashChild.BLOCKS];
            Arrays.fill(required, -1);
            for (int i = 0; i <= flushed; i++) {
                required[seq[i]] = i;
            }
            try (Pool pool = Pool.open(p, TestPools.fastOptions())) {
                Vdisk v = pool.vdisks().get("crash");
                ByteBuffer all = ByteBuffer.allocateDirect(CrashChild.BLOCKS * CrashChild.BLOCK);
                v.read(0, all);
                List<String> bad = new ArrayList<>();
                for (int blk = 0; blk < CrashChild.BLOCKS; blk++) {
                    long[] got = isZero(all, blk) ? null : CrashChild.decode(all, blk * CrashChild.BLOCK);
                    if (!isZero(all, blk) && got == null) {
                        bad.add("block " + blk + " is torn or foreign");
                        continue;
                    }
                    if (got != null && got[2] != blk) {
                        bad.add("block " + blk + " holds block " + got[2] + "'s data");
                        continue;
                    }
                    if (required[blk] >= 0) {
                        if (got == null || got[0] != round || got[1] < required[blk]) {
                            bad.add("block " + blk + ": flushed write " + required[blk] + " of round " + round
                                    + " missing, found " + (got == null ? "zeros" : got[0] + "/" + got[1]));
                        }
                    } else if (got != null && got[0] != round) {
                        long[] before = state[blk];
                        if (before == null || before[0] != got[0] || before[1] != got[1]) {
                            bad.add("block " + blk + " changed to an old write " + got[0] + "/" + got[1]);
                        }
                    } else if (got == null && state[blk] != null) {
                        bad.add("block " + blk + " lost its earlier content " + state[blk][0] + "/" + state[blk][1]);
                    }
                    if (got != null && got[0] == round) {
                        int[] s2 = CrashChild.sequence(round, (int) got[1] + 1);
                        if (s2[(int) got[1]] != blk) {
                            bad.add("block " + blk + " holds write " + got[1] + " which went to another block");
                        }
                    }
                    state[blk] = got == null ? null : new long[] {got[0], got[1]};
                }
                assertTrue(
                        bad.isEmpty(),
                        "round " + round + " (last flushed " + flushed + "): "
                                + bad.subList(0, Math.min(10, bad.size())));
                var report = pool.check();
                assertTrue(report.clean(), () -> "round check: " + report.problems());
            }
        }
        assertTrue(totalFlushed > 0, "no flush ever completed");
    }

    private static boolean isZero(ByteBuffer b, int blk) {
        for (int i = 0; i < CrashChild.BLOCK; i += 8) {
            if (b.getLong(blk * CrashChild.BLOCK + i) != 0) {
                return false;
            }
        }
        return true;
    }
}
