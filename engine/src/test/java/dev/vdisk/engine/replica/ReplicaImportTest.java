package dev.vdisk.engine.replica;

import static dev.vdisk.engine.replica.ReplicaFixture.SEGMENT;
import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolReplicaHost;
import dev.vdisk.engine.error.ReplicaChecksumException;
import dev.vdisk.engine.error.ReplicaStateException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica on a second pool: a seed of random data with holes and zeros, then deltas, each byte-identical to the
 * source's snapshot; bytes sent near the bytes changed; resume from a durable cursor without re-sending; checksums;
 * abort back to the last snapshot.
 */
class ReplicaImportTest {
    private static final long SIZE = 32L << 20;

    @TempDir
    Path dir;

    @Test
    void seedThenThreeDeltasReadIdenticalAndSendOnlyWhatChanged() {
        Random rnd = new Random(19);
        try (Pool src = ReplicaFixture.create(dir.resolve("a"), 96L << 20);
                Pool dst = ReplicaFixture.create(dir.resolve("b"), 96L << 20)) {
            ReplicaHost source = PoolReplicaHost.of(src);
            ReplicaHost target = PoolReplicaHost.of(dst);
            src.vdisks().create("vol", SIZE);
            ReplicaFixture.scribble(src.vdisks().get("vol"), rnd, 700);
            src.snapshots().take("vol", "s0");
            ReplicaImport imp = ReplicaImport.open(target, dir.resolve("b/replicas"), "r-vol");

            ReplicaState.Pending seed = imp.begin("s0", "r-s0", SIZE).orElseThrow();
            assertNull(seed.sourceBase(), "the first import is a seed");
            long covered = SnapshotExport.coveredBytes(source, null, "s0", 0);
            List<ExtentChunk> sent = ReplicaFixture.pump(source, null, "s0", 0, imp);
            assertEquals(covered, imp.progress().doneBytes(), "progress covers what the plan said");
            assertEquals("r-s0", imp.complete());
            assertTrue(ReplicaFixture.dataBytes(sent) < covered, "all-zero segments travel without payload");
            ReplicaFixture.assertSameBytes(
                    src.snapshots().reader("s0"), dst.snapshots().reader("r-s0"), "seed");
            ReplicaFixture.assertHolesStayHoles(source, "s0", target, "r-s0");

            for (int k = 1; k <= 3; k++) {
                long segs = SIZE / SEGMENT;
                int changedSegs = (int) (segs / 100); // 1 %
                long changed = ReplicaFixture.scribble(src.vdisks().get("vol"), rnd, changedSegs);
                src.snapshots().take("vol", "s" + k);
                ReplicaState.Pending p = imp.begin("s" + k, "r-s" + k, SIZE).orElseThrow();
                assertEquals("s" + (k - 1), p.sourceBase(), "delta " + k + " starts at the previous replicated one");
                List<ExtentChunk> d = ReplicaFixture.pump(source, p.sourceBase(), "s" + k, 0, imp);
                imp.complete();
                long sentBytes = ReplicaFixture.dataBytes(d);
                assertTrue(
                        sentBytes <= changed * 1.1,
                        "delta " + k + ": " + sentBytes + " bytes sent for " + changed + " changed");
                ReplicaFixture.assertSameBytes(
                        src.snapshots().reader("s" + k), dst.snapshots().reader("r-s" + k), "s" + k);
                // the replica's own change index: it has every range that carried data, and no more than the source
                long replicaDelta = 0;
                for (var it = target.extents("r-s" + (k - 1), "r-s" + k, 0); it.hasNext(); ) {
                    replicaDelta += it.next().length();
                }
                assertTrue(replicaDelta >= sentBytes, "delta " + k + " on the replica has the data sent");
                assertTrue(
                        replicaDelta <= SnapshotExport.coveredBytes(source, "s" + (k - 1), "s" + k, 0),
                        "delta " + k + " on the replica is no larger than on the source");
            }
            assertTrue(imp.begin("s3", "r-s3", SIZE).isEmpty(), "the newest snapshot again: nothing to do");
            // the source's pool going away leaves the replica readable
            src.vdisks().delete("vol");
            for (int k = 0; k <= 3; k++) {
                src.vdisks().delete("s" + k);
            }
            assertEquals(
                    "r-s3",
                    ReplicaImport.open(target, dir.resolve("b/replicas"), "r-vol")
                            .state()
                            .lastSnapshot());
            assertTrue(dst.check().clean());
        }
    }

    @Test
    void blockWritesInADeltaSendOnlyTheChangedBlocks() {
        Random rnd = new Random(7);
        try (Pool src = ReplicaFixture.create(dir.resolve("a"), 96L << 20);
                Pool dst = ReplicaFixture.create(dir.resolve("b"), 96L << 20)) {
            ReplicaHost source = PoolReplicaHost.of(src);
            src.vdisks().create("vol", SIZE);
            ReplicaFixture.scribble(src.vdisks().get("vol"), rnd, 900);
            src.snapshots().take("vol", "s0");
            ReplicaImport imp = ReplicaImport.open(PoolReplicaHost.of(dst), dir.resolve("b/replicas"), "r-vol");
            assertTrue(imp.begin("s0", "r-s0", SIZE).isPresent());
            ReplicaFixture.pump(source, null, "s0", 0, imp);
            imp.complete();
            for (int k = 1; k <= 3; k++) {
                long changed = ReplicaFixture.scribbleBlocks(src.vdisks().get("vol"), rnd, 0.01);
                src.snapshots().take("vol", "s" + k);
                String base = "s" + (k - 1);
                long segmentBytes = SnapshotExport.coveredBytes(source, base, "s" + k, 0);
                assertTrue(imp.begin("s" + k, "r-s" + k, SIZE).isPresent());
                List<ExtentChunk> d = ReplicaFixture.pump(source, base, "s" + k, 0, imp);
                assertEquals(segmentBytes, imp.progress().doneBytes(), "progress covers the changed segments");
                imp.complete();
                long sent = ReplicaFixture.dataBytes(d);
                assertTrue(
                        segmentBytes > 2 * changed,
                        "4 KiB writes change " + segmentBytes + " bytes of segments for " + changed + " changed");
                assertTrue(
                        sent >= changed * 0.9 && sent <= changed * 1.1,
                        "delta " + k + ": " + sent + " bytes sent for " + changed + " changed");
                ReplicaFixture.assertSameBytes(
                        src.snapshots().reader("s" + k), dst.snapshots().reader("r-s" + k), "s" + k);
            }
        }
    }

    @Test
    void restartResumesFromTheDurableCursorWithoutResending() throws Exception {
        Random rnd = new Random(5);
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Path states = b.resolve("replicas");
        long cursor;
        try (Pool src = ReplicaFixture.create(a, 96L << 20);
                Pool dst = ReplicaFixture.create(b, 96L << 20)) {
            src.vdisks().create("vol", SIZE);
            ReplicaFixture.scribble(src.vdisks().get("vol"), rnd, 600);
            src.snapshots().take("vol", "s0");
            ReplicaImport imp = ReplicaImport.open(PoolReplicaHost.of(dst), states, "r-vol");
            imp.begin("s0", "r-s0", SIZE);
            SnapshotExport export = new SnapshotExport(PoolReplicaHost.of(src), null, "s0", 0, 64 << 10);
            for (int i = 0; i < 40; i++) {
                imp.apply(export.next());
            }
            cursor = imp.checkpoint();
            for (int i = 0; i < 10; i++) {
                imp.apply(export.next()); // applied but not recorded: re-sent after the restart
            }
            assertTrue(cursor > 0);
        }
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(ReplicaStateFile.path(states, "r-vol"))));
        try (Pool src = Pool.open(a, ReplicaFixture.options());
                Pool dst = Pool.open(b, ReplicaFixture.options())) {
            ReplicaImport imp = ReplicaImport.open(PoolReplicaHost.of(dst), states, "r-vol");
            ReplicaState.Pending p = imp.begin("s0", "r-s0", SIZE).orElseThrow();
            assertEquals(cursor, p.cursor(), "resumes at the durable cursor");
            List<ExtentChunk> rest = ReplicaFixture.pump(PoolReplicaHost.of(src), null, "s0", p.cursor(), imp);
            assertTrue(rest.getFirst().offset() >= cursor, "nothing before the cursor is sent again");
            imp.complete();
            ReplicaFixture.assertSameBytes(
                    src.snapshots().reader("s0"), dst.snapshots().reader("r-s0"), "resumed seed");
        }
    }

    @Test
    void damagedOrOutOfOrderChunksAreRefusedAndAbortRollsBack() {
        Random rnd = new Random(3);
        try (Pool src = ReplicaFixture.create(dir.resolve("a"), 96L << 20);
                Pool dst = ReplicaFixture.create(dir.resolve("b"), 96L << 20)) {
            ReplicaHost source = PoolReplicaHost.of(src);
            src.vdisks().create("vol", SIZE);
            ReplicaFixture.scribble(src.vdisks().get("vol"), rnd, 300);
            src.snapshots().take("vol", "s0");
            ReplicaImport imp = ReplicaImport.open(PoolReplicaHost.of(dst), dir.resolve("st"), "r-vol");
            imp.begin("s0", "r-s0", SIZE);
            ReplicaFixture.pump(source, null, "s0", 0, imp);
            imp.complete();

            ReplicaFixture.scribble(src.vdisks().get("vol"), rnd, 300);
            src.snapshots().take("vol", "s1");
            imp.begin("s1", "r-s1", SIZE);
            SnapshotExport export = new SnapshotExport(source, "s0", "s1", 0, 64 << 10);
            ExtentChunk first = firstData(export);
            ByteBuffer bad = ByteBuffer.allocate((int) first.length());
            bad.put(first.data().duplicate()).flip();
            bad.put(7, (byte) (bad.get(7) ^ 1));
            ExtentChunk damaged = new ExtentChunk(first.offset(), first.length(), bad, first.crc());
            assertThrows(ReplicaChecksumException.class, () -> imp.apply(damaged));
            assertEquals(0, imp.progress().doneBytes(), "a damaged chunk applies nothing");
            imp.apply(first);
            assertThrows(ReplicaStateException.class, () -> imp.apply(first), "a chunk before the cursor");
            assertThrows(ReplicaStateException.class, () -> imp.begin("s0", "x", SIZE), "another import pending");
            while (export.hasNext()) {
                imp.apply(export.next());
            }
            imp.abort();
            ReplicaFixture.assertSameBytes(
                    dst.snapshots().reader("r-s0"), dst.vdisks().get("r-vol"), "rolled back");
            assertNull(imp.state().pending());
            assertEquals("r-s0", imp.state().lastSnapshot());
            // and the same delta imports cleanly afterwards
            ReplicaState.Pending p = imp.begin("s1", "r-s1", SIZE).orElseThrow();
            ReplicaFixture.pump(source, p.sourceBase(), "s1", 0, imp);
            imp.complete();
            ReplicaFixture.assertSameBytes(
                    src.snapshots().reader("s1"), dst.snapshots().reader("r-s1"), "after the abort");
            assertTrue(dst.check().clean());
        }
    }

    private static ExtentChunk firstData(SnapshotExport export) {
        while (export.hasNext()) {
            ExtentChunk c = export.next();
            if (c.hasData()) {
                return c;
            }
        }
        throw new AssertionError("the delta has no data");
    }
}
