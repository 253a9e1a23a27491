package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property 3 with snapshots, clones and deletions in flight: a child JVM ({@link SnapshotCrashChild}) writes, takes
 * snapshots, clones and deletes them; we SIGKILL it at random moments, reopen, and require a clean check, every
 * flushed write in the vdisk, every acknowledged snapshot present (unless its deletion had started) and holding exactly the writes
 * before it, every acknowledged clone holding its snapshot's content plus its own blocks. Then everything but the
 * vdisk is deleted (clean check again) and the next round starts from the recovered vdisk.
 */
class SnapshotCrashTest {
    @TempDir
    Path dir;

    @Test
    void killedSnapshotterLosesNothingAcknowledged() throws Exception {
        Path p = dir.resolve("p");
        int blocks = CrashChild.BLOCKS;
        try (Pool pool = TestPools.create(p, 64L << 20, 16384, TestPools.fastOptions())) {
            pool.vdisks().create("crash", (long) blocks * CrashChild.BLOCK);
        }
        long[][] start = new long[blocks][]; // {round, i} of each block at the start of the round, null = zeros
        Random rnd = new Random(7);
        int rounds = 12;
        int snapsVerified = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(70);
        int round;
        for (round = 1; round <= rounds && System.nanoTime() < deadline; round++) {
            String javaCmd = ProcessHandle.current().info().command().orElseThrow();
            Process child = new ProcessBuilder(
                            javaCmd,
                            "--enable-native-access=ALL-UNNAMED",
                            "-Xshare:auto",
                            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                            "-cp",
                            System.getProperty("java.class.path"),
                            SnapshotCrashChild.class.getName(),
                            p.toString(),
                            Integer.toString(round))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            AtomicLong lastFlushed = new AtomicLong(-1);
            AtomicInteger ready = new AtomicInteger();
            Map<String, Integer> snaps = Collections.synchronizedMap(new LinkedHashMap<>());
            Map<String, String[]> clones = Collections.synchronizedMap(new LinkedHashMap<>());
            List<String> lines = Collections.synchronizedList(new ArrayList<>());
            Set<String> deleted = Collections.synchronizedSet(new HashSet<>());
            Set<String> deleting = Collections.synchronizedSet(new HashSet<>()); // may be gone
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line.startsWith("FLUSHED") ? "F" : line);
                        String[] w = line.split(" ");
                        switch (w[0]) {
                            case "FLUSHED" -> lastFlushed.set(Long.parseLong(w[1]));
                            case "READY" -> ready.set(1);
                            case "SNAP" -> snaps.put(w[1], Integer.parseInt(w[2]));
                            case "CLONE" -> clones.put(w[1], new String[] {w[2], w[3]});
                            case "DELETED" -> deleted.add(w[1]);
                            case "DELETING" -> deleting.add(w[1]);
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
            Thread.sleep(200 + rnd.nextInt(1200));
            ChildProcessKill.sigkillAndReadAll(child, reader, round);
            long flushed = lastFlushed.get();
            int maxIndex = (int) Math.max(
                    flushed,
                    snaps.values().stream().mapToInt(Integer::intValue).max().orElse(0));
            int[] seq = CrashChild.sequence(round, maxIndex + 2);

            try (Pool pool = Pool.open(p, TestPools.fastOptions())) {
                var report = pool.check();
                assertTrue(report.clean(), () -> "round check: " + report.problems());
                // the vdisk: every flushed write (or a later one of the round) is there
                long[][] now = decodeAll(pool.vdisks().get("crash"));
                for (int i = 0; i <= flushed; i++) {
                    long[] got = now[seq[i]];
                    int blk = seq[i];
                    assertTrue(
                            got != null && got[0] == round && got[1] >= lastWriteTo(seq, blk, (int) flushed),
                            "round " + round + ": flushed write " + i + " to block " + blk + " missing");
                }
                // snapshots: exactly the writes before them
                for (var e : snaps.entrySet()) {
                    if (deleted.contains(e.getKey())
                            || (deleting.contains(e.getKey())
                                    && pool.snapshots().list().stream()
                                            .noneMatch(x -> x.name().equals(e.getKey())))) {
                        continue;
                    }
                    long[][] expect = expected(start, seq, round, e.getValue());
                    long[][] got = decodeAll(pool.snapshots().reader(e.getKey()));
                    for (int blk = 0; blk < blocks; blk++) {
                        assertArrayEquals(
                                expect[blk], got[blk], "round " + round + ": snapshot " + e.getKey() + " block " + blk);
                    }
                    snapsVerified++;
                }
                for (var e : clones.entrySet()) {
                    if (deleted.contains(e.getKey())
                            || (deleting.contains(e.getKey())
                                    && pool.vdisks().list().stream()
                                            .noneMatch(x -> x.name().equals(e.getKey())))) {
                        continue;
                    }
                    long[][] expect = expected(start, seq, round, snaps.get(e.getValue()[0]));
                    int taken = Integer.parseInt(e.getValue()[1]);
                    for (int k = 0; k < SnapshotCrashChild.CLONE_BLOCKS; k++) {
                        expect[SnapshotCrashChild.cloneBlock(taken, k)] =
                                new long[] {round, SnapshotCrashChild.CLONE_TAG + taken};
                    }
                    int rr = round;
                    assertTrue(
                            pool.vdisks().list().stream().anyMatch(i -> i.name().equals(e.getKey())),
                            () -> "round " + rr
                                    + ": acknowledged clone " + e.getKey() + " missing; lineage "
                                    + pool.lineage().all()
                                    + "; log "
                                    + lines);
                    long[][] got = decodeAll(pool.vdisks().get(e.getKey()));
                    for (int blk = 0; blk < blocks; blk++) {
                        assertArrayEquals(
                                expect[blk], got[blk], "round " + round + ": clone " + e.getKey() + " block " + blk);
                    }
                }
                // clean up everything but the vdisk, in random order
                List<String> rest = new ArrayList<>();
                pool.vdisks().list().stream()
                        .map(VdiskInfo::name)
                        .filter(n -> !n.equals("crash"))
                        .forEach(rest::add);
                pool.snapshots().list().stream().map(SnapshotInfo::name).forEach(rest::add);
                Collections.shuffle(rest, rnd);
                for (String n : rest) {
                    pool.vdisks().delete(n);
                }
                assertTrue(
                        pool.lineage().all().stream().allMatch(l -> l.name().equals("crash")),
                        () -> "" + pool.lineage().all());
                var after = pool.check();
                assertTrue(after.clean(), () -> "check after cleanup: " + after.problems());
                start = decodeAll(pool.vdisks().get("crash"));
            }
        }
        assertTrue(round > 10, "at least 10 rounds ran");
        assertTrue(snapsVerified > 0, "no snapshot was ever acknowledged before a kill");
    }

    private static int lastWriteTo(int[] seq, int blk, int upTo) {
        for (int i = upTo; i >= 0; i--) {
            if (seq[i] == blk) {
                return i;
            }
        }
        return -1;
    }

    private static long[][] expected(long[][] start, int[] seq, int round, int upTo) {
        long[][] e = new long[start.length][];
        for (int blk = 0; blk < start.length; blk++) {
            e[blk] = start[blk] == null ? null : start[blk].clone();
        }
        for (int i = 0; i <= upTo; i++) {
            e[seq[i]] = new long[] {round, i};
        }
        return e;
    }

    private static long[][] decodeAll(Vdisk v) {
        ByteBuffer all = ByteBuffer.allocateDirect(CrashChild.BLOCKS * CrashChild.BLOCK);
        v.read(0, all);
        long[][] out = new long[CrashChild.BLOCKS][];
        for (int blk = 0; blk < CrashChild.BLOCKS; blk++) {
            boolean zero = true;
            for (int i = 0; i < CrashChild.BLOCK && zero; i += 8) {
                zero = all.getLong(blk * CrashChild.BLOCK + i) == 0;
            }
            if (!zero) {
                long[] d = CrashChild.decode(all, blk * CrashChild.BLOCK);
                assertNotNull(d, "block " + blk + " of " + v.name() + " is torn or foreign");
                assertEquals(blk, d[2], "block " + blk + " of " + v.name() + " holds another block's data");
                out[blk] = new long[] {d[0], d[1]};
            }
        }
        return out;
    }
}
