package dev.vdisk.engine.replica;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolReplicaHost;
import dev.vdisk.engine.ReplicaChildKill;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of an import: a child JVM ({@link ReplicaCrashChild}) imports a seed and then three deltas and is
 * SIGKILLed at a random moment of each. After every kill the replica's newest snapshot reads exactly as its source
 * (never a mix), the pending cursor is at least the last one the child recorded, and resuming from it sends nothing
 * before it and ends byte-identical to the source; the target pool checks clean.
 */
class ReplicaCrashTest {
    private static final long SIZE = 32L << 20;

    @TempDir
    Path dir;

    @Test
    void killedImportResumesFromItsCursorAndNeverMixes() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Path states = dir.resolve("states");
        Random rnd = new Random(11);
        try (Pool src = ReplicaFixture.create(a, 128L << 20);
                Pool dst = ReplicaFixture.create(b, 128L << 20)) {
            src.vdisks().create("vol", SIZE);
            for (int k = 0; k < 4; k++) {
                ReplicaFixture.scribble(src.vdisks().get("vol"), rnd, k == 0 ? 1200 : 300);
                src.snapshots().take("vol", "s" + k);
            }
        }
        int killedMidImport = 0;
        for (int k = 0; k < 4; k++) {
            String snap = "s" + k;
            Process child = new ProcessBuilder(
                            ProcessHandle.current().info().command().orElseThrow(),
                            "--enable-native-access=ALL-UNNAMED",
                            "-Xshare:auto",
                            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                            "-cp",
                            System.getProperty("java.class.path"),
                            ReplicaCrashChild.class.getName(),
                            a.toString(),
                            b.toString(),
                            states.toString(),
                            snap)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            AtomicBoolean ready = new AtomicBoolean();
            AtomicBoolean complete = new AtomicBoolean();
            AtomicLong durable = new AtomicLong();
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        String[] w = line.split(" ");
                        switch (w[0]) {
                            case "READY" -> ready.set(true);
                            case "DURABLE" -> durable.set(Long.parseLong(w[1]));
                            case "COMPLETE" -> complete.set(true);
                            default -> {}
                        }
                    }
                } catch (Exception e) {
                    // the child died
                }
            });
            try {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!ready.get() && child.isAlive() && System.nanoTime() < until) {
                    Thread.sleep(5);
                }
                assertTrue(ready.get(), "child of " + snap + " did not start");
                Thread.sleep(150 + rnd.nextInt(k == 0 ? 1200 : 400));
            } finally {
                ReplicaChildKill.sigkillAndReadAll(child, reader);
            }
            try (Pool src = Pool.open(a, ReplicaFixture.options());
                    Pool dst = Pool.open(b, ReplicaFixture.options())) {
                assertTrue(dst.check().clean(), () -> "target check after the kill in " + snap);
                ReplicaImport imp = ReplicaImport.open(PoolReplicaHost.of(dst), states, "r-vol");
                ReplicaState st = imp.state();
                String expectLast = complete.get() ? "r-" + snap : k == 0 ? null : "r-s" + (k - 1);
                if (!complete.get() && st.pending() == null) {
                    expectLast = "r-" + snap; // completed after its last line was read
                }
                assertEquals(expectLast, st.lastSnapshot(), "newest complete snapshot after the kill in " + snap);
                if (st.lastSnapshot() != null) {
                    String from = "s" + st.lastSnapshot().substring(3);
                    ReplicaFixture.assertSameBytes(
                            src.snapshots().reader(from), dst.snapshots().reader(st.lastSnapshot()), "never a mix");
                }
                if (st.pending() != null) {
                    killedMidImport++;
                    long cursor = st.pending().cursor();
                    assertTrue(cursor >= durable.get(), "the cursor " + cursor + " lost a recorded " + durable);
                    ReplicaState.Pending p = imp.begin(snap, "r-" + snap, SIZE).orElseThrow();
                    List<ExtentChunk> rest =
                            ReplicaFixture.pump(PoolReplicaHost.of(src), p.sourceBase(), snap, p.cursor(), imp);
                    assertTrue(
                            rest.isEmpty() || rest.getFirst().offset() >= cursor,
                            "resume re-sent bytes before the cursor");
                    imp.complete();
                }
                ReplicaFixture.assertSameBytes(
                        src.snapshots().reader(snap), dst.snapshots().reader("r-" + snap), snap);
                assertTrue(dst.check().clean(), "target check after resuming " + snap);
            }
        }
        assertTrue(killedMidImport >= 2, "only " + killedMidImport + " kills landed inside an import");
    }
}
