package dev.vdisk.node.replication;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.ReplicaChunk;
import dev.vdisk.api.agent.ReplicaPlan;
import dev.vdisk.api.agent.ReplicaProgress;
import dev.vdisk.api.agent.ReplicaSourceApi;
import dev.vdisk.api.agent.ReplicaStatus;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.Vdisk;
import dev.vdisk.node.agent.NodeReplicas;
import dev.vdisk.node.metrics.ReplicaPullMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two pools, each behind the agent API's replication ({@link NodeReplicas}): a seed of random data with holes and
 * three 1 % deltas pulled through a source whose stream drops now and then; each replica snapshot reads
 * byte-identical, no chunk is received twice, bytes sent for a 1 % delta stay within 10 % of the bytes changed, the
 * throttle holds the rate, and the replica's vdisk is not listed as a volume.
 */
class ReplicaPullerTest {
    private static final int SEGMENT = 64 << 10;
    private static final long SIZE = 64L << 20;

    @TempDir
    Path dir;

    @Test
    void seedAndDeltasSurviveDroppedStreamsWithoutResending() throws Exception {
        Random rnd = new Random(42);
        PoolOptions o = new PoolOptions(8L << 20, 8L << 20, 200, 16L << 20, 256L << 20, 1);
        try (Pool a = Pool.create(dir.resolve("a"), new PoolSpec(192L << 20, SEGMENT, null, null), o);
                Pool b = Pool.create(dir.resolve("b"), new PoolSpec(192L << 20, SEGMENT, null, null), o)) {
            NodeReplicas source = new NodeReplicas(a, dir.resolve("a"));
            ReplicaPulls pulls = new ReplicaPulls();
            NodeReplicas target = new NodeReplicas(b, dir.resolve("b"), pulls);
            SimpleMeterRegistry metrics = new SimpleMeterRegistry();
            ReplicaPullMetrics.bind(metrics, pulls);
            a.vdisks().create("pvc-1", SIZE);
            write(a.vdisks().get("pvc-1"), rnd, (int) (SIZE / SEGMENT / 3));
            a.snapshots().take("pvc-1", "snap-0");
            DroppingSource dropping = new DroppingSource(source, 7);
            ReplicaPuller puller = new ReplicaPuller(target, () -> dropping, 20, 1, pulls);

            PullStatus seed = puller.pull("pvc-1", "snap-0", "pvc-1.snap-0", 0);
            assertEquals("DONE", seed.phase());
            assertEquals(100, seed.percent());
            assertTrue(dropping.drops.get() >= 3, "the stream dropped " + dropping.drops + " times");
            dropping.assertNothingTwice();
            assertSame(a.snapshots().reader("snap-0"), b.snapshots().reader("pvc-1.snap-0"), "seed");

            for (int k = 1; k <= 3; k++) {
                int segs = (int) (SIZE / SEGMENT / 100);
                long changed = write(a.vdisks().get("pvc-1"), rnd, segs);
                a.snapshots().take("pvc-1", "snap-" + k);
                dropping.reset(3);
                PullStatus d = puller.pull("pvc-1", "snap-" + k, "pvc-1.snap-" + k, 0);
                assertTrue(
                        d.bytesSent() <= changed * 1.1,
                        "delta " + k + ": " + d.bytesSent() + " bytes sent for " + changed + " changed");
                dropping.assertNothingTwice();
                assertSame(a.snapshots().reader("snap-" + k), b.snapshots().reader("pvc-1.snap-" + k), "delta " + k);
            }
            ReplicaStatus st = target.replicaStatus("pvc-1").orElseThrow();
            assertEquals("pvc-1.snap-3", st.lastSnapshotId());
            assertEquals("snap-3", st.lastSourceSnapshotId());
            assertFalse(st.importing());
            assertEquals(
                    List.of("pvc-1"),
                    target.replicas().stream().map(ReplicaStatus::replicaId).toList());

            // throttled: 4 MiB/s over a delta of about 5 MiB takes about a second
            write(a.vdisks().get("pvc-1"), rnd, 80);
            a.snapshots().take("pvc-1", "snap-4");
            dropping.reset(Integer.MAX_VALUE);
            AtomicReference<ReplicaProgress> running = new AtomicReference<>();
            AtomicReference<Double> runningGauge = new AtomicReference<>();
            Thread watcher = Thread.ofVirtual().start(() -> {
                while (running.get() == null && !Thread.currentThread().isInterrupted()) {
                    ReplicaProgress p =
                            target.replicaStatus("pvc-1").orElseThrow().progress();
                    if (p != null
                            && p.sourceSnapshotId().equals("snap-4")
                            && p.phase().equals("RUNNING")) {
                        runningGauge.set(metrics.get("vdisk.replica.pulls")
                                .tag("phase", "RUNNING")
                                .gauge()
                                .value());
                        running.set(p);
                    }
                    LockSupport.parkNanos(1_000_000);
                }
            });
            long t0 = System.nanoTime();
            PullStatus slow = puller.pull("pvc-1", "snap-4", "pvc-1.snap-4", 4L << 20);
            double seconds = (System.nanoTime() - t0) / 1e9;
            watcher.interrupt();
            watcher.join();
            double rate = slow.bytesSent() / seconds;
            assertTrue(rate < 4.6 * (1 << 20), "throttled to " + rate + " bytes/s");
            // progress in the replica status and the metrics, while running and when done
            ReplicaProgress seen = running.get();
            assertNotNull(seen, "the status showed the throttled pull running");
            assertEquals(4L << 20, seen.rateLimitBytesPerSecond());
            assertTrue(seen.bytesTotal() > 0 && seen.percent() < 100, "running at " + seen.percent() + " %");
            assertEquals(1.0, runningGauge.get(), "vdisk_replica_pulls{phase=RUNNING} while it ran");
            ReplicaProgress done = target.replicaStatus("pvc-1").orElseThrow().progress();
            assertEquals("DONE", done.phase());
            assertEquals(100, done.percent());
            assertEquals(0, done.etaSeconds());
            assertEquals(slow.bytesSent(), done.bytesSent());
            assertEquals(
                    1.0,
                    metrics.get("vdisk.replica.pulls")
                            .tag("phase", "DONE")
                            .gauge()
                            .value());
            assertEquals(
                    0.0,
                    metrics.get("vdisk.replica.pulls")
                            .tag("phase", "RUNNING")
                            .gauge()
                            .value());
            assertEquals(
                    slow.bytesSent(),
                    (long) metrics.get("vdisk.replica.pull.sent").gauge().value(),
                    "vdisk_replica_pull_sent_bytes");
        }
    }

    @Test
    void aDeletedSourceSnapshotFailsWithoutRetrying() throws Exception {
        PoolOptions o = new PoolOptions(8L << 20, 8L << 20, 200, 16L << 20, 256L << 20, 1);
        try (Pool a = Pool.create(dir.resolve("a"), new PoolSpec(64L << 20, SEGMENT, null, null), o);
                Pool b = Pool.create(dir.resolve("b"), new PoolSpec(64L << 20, SEGMENT, null, null), o)) {
            NodeReplicas source = new NodeReplicas(a, dir.resolve("a"));
            NodeReplicas target = new NodeReplicas(b, dir.resolve("b"));
            a.vdisks().create("pvc-1", 8L << 20);
            write(a.vdisks().get("pvc-1"), new Random(1), 40);
            a.snapshots().take("pvc-1", "snap-0");
            AtomicInteger connects = new AtomicInteger();
            ReplicaPuller puller = new ReplicaPuller(
                    target,
                    () -> {
                        connects.incrementAndGet();
                        return source;
                    },
                    5,
                    1);
            a.vdisks().delete("snap-0");
            AgentException e =
                    assertThrows(AgentException.class, () -> puller.pull("pvc-1", "snap-0", "pvc-1.snap-0", 0));
            assertEquals(AgentReason.NOT_FOUND, e.reason());
            assertEquals(1, connects.get(), "a missing snapshot is not retried");
            assertEquals("FAILED", puller.status().orElseThrow().phase());
            AgentException bad =
                    assertThrows(AgentException.class, () -> target.beginImport("../x", "snap-0", "s", 8L << 20));
            assertEquals(AgentReason.INVALID_ARGUMENT, bad.reason());
        }
    }

    /** Writes {@code segments} random whole segments at random places; returns the bytes changed. */
    private static long write(Vdisk v, Random rnd, int segments) {
        ByteBuffer b = ByteBuffer.allocateDirect(SEGMENT);
        byte[] data = new byte[SEGMENT];
        long segs = v.size() / SEGMENT;
        for (int i = 0; i < segments; i++) {
            rnd.nextBytes(data);
            b.clear();
            b.put(data).flip();
            v.write(rnd.nextLong(segs) * SEGMENT, b);
        }
        v.flush();
        return (long) segments * SEGMENT;
    }

    private static void assertSame(Vdisk expected, Vdisk actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        ByteBuffer x = ByteBuffer.allocateDirect(1 << 20);
        ByteBuffer y = ByteBuffer.allocateDirect(1 << 20);
        for (long at = 0; at < expected.size(); at += 1 << 20) {
            x.clear();
            y.clear();
            expected.read(at, x);
            actual.read(at, y);
            assertEquals(x.flip(), y.flip(), what + ": the MiB at " + at + " differs");
        }
    }

    /** A source whose streams break (IO_ERROR, as a dropped connection) after a few chunks, a given number of times. */
    private static final class DroppingSource implements ReplicaSourceApi {
        private final ReplicaSourceApi source;
        final AtomicInteger drops = new AtomicInteger();
        private int dropsLeft;
        private final List<long[]> received = new ArrayList<>();

        DroppingSource(ReplicaSourceApi source, int drops) {
            this.source = source;
            this.dropsLeft = drops;
        }

        void reset(int drops) {
            dropsLeft = drops;
            received.clear();
        }

        void assertNothingTwice() {
            for (int i = 1; i < received.size(); i++) {
                assertTrue(
                        received.get(i)[0] >= received.get(i - 1)[1],
                        "chunk at " + received.get(i)[0] + " received again (previous ended at "
                                + received.get(i - 1)[1] + ")");
            }
        }

        @Override
        public Iterator<ReplicaChunk> export(String base, String snap, long from) {
            Iterator<ReplicaChunk> it = source.export(base, snap, from);
            int breakAfter = dropsLeft > 0 ? 5 + (int) (from % 7) : Integer.MAX_VALUE;
            return new Iterator<>() {
                int n;

                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public ReplicaChunk next() {
                    if (n++ == breakAfter) {
                        dropsLeft--;
                        drops.incrementAndGet();
                        throw new AgentException(AgentReason.IO_ERROR, "connection dropped");
                    }
                    ReplicaChunk c = it.next();
                    received.add(new long[] {c.offset(), c.end()});
                    return c;
                }
            };
        }

        @Override
        public long snapshotSize(String snap) {
            return source.snapshotSize(snap);
        }

        @Override
        public ReplicaPlan exportPlan(String base, String snap, long from) {
            return source.exportPlan(base, snap, from);
        }
    }
}
