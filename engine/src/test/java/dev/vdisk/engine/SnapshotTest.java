package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.ReadOnlyException;
import dev.vdisk.engine.error.Reason;
import dev.vdisk.engine.error.VdiskExistsException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Snapshot, clone and hidden-snapshot behaviour that the random model test does not pin down exactly. */
class SnapshotTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 65536})
    void snapshotTouchesTheSameNodesFor1GiBAnd1TiB(int segmentSize) {
        long[] touched = new long[2];
        long[] sizes = {1L << 30, 1L << 40};
        try (Pool pool =
                TestPools.create(dir.resolve("p" + segmentSize), 64L << 20, segmentSize, TestPools.fastOptions())) {
            for (int i = 0; i < 2; i++) {
                String n = "v" + i;
                pool.vdisks().create(n, sizes[i]);
                for (int k = 0; k < 8; k++) {
                    TestPools.write(pool.vdisks().get(n), k * (sizes[i] / 8), TestPools.filled(8192, k));
                }
                pool.drain();
                pool.snapshots().take(n, n + "-s");
                touched[i] = pool.snapshots().lastSnapshotNodes();
                // a second snapshot right after one: the same constant
                pool.snapshots().take(n, n + "-s2");
                assertEquals(touched[i], pool.snapshots().lastSnapshotNodes());
                pool.snapshots().clone(n + "-s", n + "-c");
                assertArrayEquals(
                        TestPools.filled(8192, 3),
                        TestPools.read(pool.vdisks().get(n + "-c"), 3 * (sizes[i] / 8), 8192));
            }
            assertEquals(1, touched[0], "nodes touched by a snapshot of a 1 GiB vdisk");
            assertEquals(touched[0], touched[1], "1 GiB vs 1 TiB");
            assertTrue(pool.check().clean());
        }
    }

    @Test
    void deletedSnapshotWithClonesIsHiddenThenFreedWithTheLastDependent() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 8L << 20, 4096, TestPools.fastOptions())) {
            long empty = pool.info().usedBytes();
            pool.vdisks().create("v", 1 << 20);
            TestPools.write(pool.vdisks().get("v"), 0, TestPools.filled(256 * 1024, 1));
            pool.snapshots().take("v", "s");
            pool.snapshots().clone("s", "c1");
            pool.snapshots().take("c1", "c1s");
            pool.snapshots().clone("c1s", "c2");
            assertEquals(List.of("c1", "c1s"), pool.lineage().dependents("s"));
            long sid = pool.snapshots().info("s").id();
            pool.vdisks().delete("s");
            assertTrue(
                    pool.snapshots().list().stream().noneMatch(x -> x.name().equals("s")),
                    "hidden snapshots are not listed");
            assertThrows(VdiskNotFoundException.class, () -> pool.snapshots().clone("s", "c3"));
            assertEquals(List.of("c1", "c1s"), pool.lineage().dependents(sid));
            pool.snapshots().take("v", "s"); // the name is reusable
            pool.vdisks().delete("v");
            assertEquals(
                    List.of("s", "c1s"),
                    pool.snapshots().list().stream().map(SnapshotInfo::name).toList(),
                    "snapshots outlive their vdisk");
            assertNull(pool.snapshots().info("s").vdiskName());
            assertArrayEquals(
                    TestPools.filled(256 * 1024, 1),
                    TestPools.read(pool.vdisks().get("c2"), 0, 256 * 1024));
            pool.vdisks().delete("c1");
            pool.vdisks().delete("c1s"); // still read by c2: hidden
            assertEquals(List.of("c1s (hidden)"), pool.lineage().dependents(sid));
            assertTrue(pool.lineage().all().stream().anyMatch(l -> l.id() == sid && l.hidden()));
            Lineage c2 = pool.lineage().all().stream()
                    .filter(l -> l.name().equals("c2"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(2, c2.depth());
            assertTrue(pool.check().clean());
            pool.close();
            try (Pool again = Pool.open(dir.resolve("p"), TestPools.fastOptions())) {
                assertArrayEquals(
                        TestPools.filled(256 * 1024, 1),
                        TestPools.read(again.vdisks().get("c2"), 0, 256 * 1024));
                again.vdisks().delete("c2"); // frees hidden c1s, then hidden s (cascade)
                assertTrue(
                        again.lineage().all().stream().noneMatch(Lineage::hidden),
                        () -> "" + again.lineage().all());
                again.vdisks().delete("s");
                assertTrue(again.lineage().all().isEmpty());
                again.checkpoint();
                again.checkpoint();
                assertEquals(empty, again.info().usedBytes());
                assertTrue(again.check().clean());
            }
        }
    }

    @Test
    void discardInACloneReadsZerosAndPartialWritesMergeWithTheBacking() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 8L << 20, 16384, TestPools.fastOptions())) {
            pool.vdisks().create("v", 1 << 20);
            byte[] base = TestPools.filled(1 << 20, 7);
            TestPools.write(pool.vdisks().get("v"), 0, base);
            pool.snapshots().take("v", "s");
            pool.snapshots().clone("s", "c");
            Vdisk c = pool.vdisks().get("c");
            c.discard(0, 16384);
            TestPools.write(c, 16384 + 100, new byte[] {1, 2, 3});
            pool.drain();
            assertArrayEquals(new byte[16384], TestPools.read(c, 0, 16384));
            byte[] expect = Arrays.copyOfRange(base, 16384, 32768);
            expect[100] = 1;
            expect[101] = 2;
            expect[102] = 3;
            assertArrayEquals(expect, TestPools.read(c, 16384, 16384));
            assertArrayEquals(base, TestPools.read(pool.snapshots().reader("s"), 0, 1 << 20));
            assertEquals(
                    Reason.FAILED_PRECONDITION,
                    assertThrows(
                                    ReadOnlyException.class,
                                    () -> pool.snapshots().reader("s").discard(0, 4096))
                            .reason());
        }
    }

    @Test
    void groupSnapshotIsOneInstantOfSeveralVdisks() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 8L << 20, 4096, TestPools.fastOptions())) {
            pool.vdisks().create("a", 1 << 20);
            pool.vdisks().create("b", 1 << 20);
            TestPools.write(pool.vdisks().get("a"), 0, TestPools.filled(8192, 1));
            TestPools.write(pool.vdisks().get("b"), 0, TestPools.filled(8192, 2));
            List<SnapshotInfo> g = pool.snapshots().takeGroup(Map.of("a", "ga", "b", "gb"));
            assertEquals(2, g.size());
            TestPools.write(pool.vdisks().get("a"), 0, TestPools.filled(8192, 3));
            assertArrayEquals(
                    TestPools.filled(8192, 1), TestPools.read(pool.snapshots().reader("ga"), 0, 8192));
            assertArrayEquals(
                    TestPools.filled(8192, 2), TestPools.read(pool.snapshots().reader("gb"), 0, 8192));
            assertThrows(VdiskExistsException.class, () -> pool.snapshots().takeGroup(Map.of("a", "x", "b", "ga")));
            assertTrue(pool.snapshots().list().stream().noneMatch(s -> s.name().equals("x")), "all or none");
        }
    }
}
