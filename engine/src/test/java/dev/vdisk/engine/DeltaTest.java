package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.error.Reason;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Property 6 (deltas): correctness, no false negative, resumability, cost, errors. */
class DeltaTest {
    @TempDir
    Path dir;

    /** Applies a delta: CHANGED extents read from {@code target}, DEALLOCATED zeroed. */
    static void apply(Pool pool, ExtentScan scan, String target, byte[] copy) {
        Vdisk m = pool.snapshots().reader(target);
        long last = -1;
        while (scan.hasNext()) {
            Extent e = scan.next();
            assertTrue(e.offset() >= last, "extents ascending and non-overlapping: " + e + " after " + last);
            assertTrue(e.length() > 0);
            last = e.end();
            if (e.kind() == Extent.Kind.DEALLOCATED) {
                Arrays.fill(copy, (int) e.offset(), (int) e.end(), (byte) 0);
            } else {
                assertEquals(Extent.Kind.CHANGED, e.kind());
                ByteBuffer b = ByteBuffer.allocateDirect((int) e.length());
                m.read(e.offset(), b);
                b.flip().get(copy, (int) e.offset(), (int) e.length());
            }
        }
    }

    static List<Extent> collect(ExtentScan s) {
        List<Extent> out = new ArrayList<>();
        s.forEachRemaining(out::add);
        return out;
    }

    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 16384})
    void randomHistoriesDeltaReproducesTarget(int segmentSize) {
        Random rnd = new Random(segmentSize + 99);
        try (Pool pool = TestPools.create(dir.resolve("p"), 16L << 20, segmentSize, TestPools.fastOptions())) {
            int size = segmentSize * 64;
            pool.vdisks().create("v", size);
            Vdisk v = pool.vdisks().get("v");
            byte[] m = new byte[size];
            List<byte[]> contents = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (int s = 0; s < 8; s++) {
                for (int k = 0; k < 12; k++) {
                    int off = rnd.nextInt(size - 1);
                    int len = Math.min(size - off, 1 + rnd.nextInt(2 * segmentSize));
                    if (rnd.nextInt(4) == 0) {
                        v.discard(off, len);
                        Arrays.fill(m, off, off + len, (byte) 0);
                    } else {
                        byte[] d = TestPools.filled(len, s * 100 + k);
                        TestPools.write(v, off, d);
                        System.arraycopy(d, 0, m, off, len);
                    }
                }
                if (s == 4) { // grow between snapshots
                    pool.vdisks().resize("v", size + 8L * segmentSize);
                    size += 8 * segmentSize;
                    m = Arrays.copyOf(m, size);
                }
                pool.snapshots().take("v", "s" + s);
                contents.add(m.clone());
                names.add("s" + s);
            }
            for (int l = 0; l < names.size(); l++) {
                for (int mm = l + 1; mm < names.size(); mm++) {
                    byte[] copy = Arrays.copyOf(contents.get(l), contents.get(mm).length);
                    List<Extent> ex = collect(pool.extents().delta(names.get(l), names.get(mm), 0));
                    apply(pool, pool.extents().delta(names.get(l), names.get(mm), 0), names.get(mm), copy);
                    assertArrayEquals(contents.get(mm), copy, "delta " + l + ".." + mm);
                    // brute force: every segment whose content differs is covered by an extent
                    byte[] a = Arrays.copyOf(contents.get(l), contents.get(mm).length);
                    byte[] b = contents.get(mm);
                    for (int seg = 0; seg < b.length / segmentSize; seg++) {
                        int from = seg * segmentSize;
                        if (!Arrays.equals(a, from, from + segmentSize, b, from, from + segmentSize)) {
                            long f = from;
                            assertTrue(
                                    ex.stream().anyMatch(e -> e.offset() <= f && e.end() >= f + segmentSize),
                                    "changed segment " + seg + " missing from delta " + l + ".." + mm);
                        }
                    }
                    // resume at a random offset yields the same tail
                    long at = rnd.nextLong(b.length);
                    List<Extent> tail = collect(pool.extents().delta(names.get(l), names.get(mm), at));
                    List<Extent> expected = new ArrayList<>();
                    for (Extent e : ex) {
                        if (e.end() > at) {
                            expected.add(e.offset() >= at ? e : new Extent(at, e.end() - at, e.kind()));
                        }
                    }
                    assertEquals(expected, tail, "resume at " + at);
                }
            }
            // deleting snapshots strictly between keeps deltas correct
            pool.vdisks().delete("s2");
            pool.vdisks().delete("s5");
            pool.close();
            try (Pool again = Pool.open(dir.resolve("p"), TestPools.fastOptions())) {
                for (int[] lm : new int[][] {{0, 7}, {1, 3}, {4, 6}, {1, 7}}) {
                    byte[] copy = Arrays.copyOf(contents.get(lm[0]), contents.get(lm[1]).length);
                    apply(again, again.extents().delta(names.get(lm[0]), names.get(lm[1]), 0), names.get(lm[1]), copy);
                    assertArrayEquals(contents.get(lm[1]), copy, "delta after deletes " + lm[0] + ".." + lm[1]);
                }
                assertTrue(again.check().clean());
            }
        }
    }

    @Test
    void deltaTouchesExactlyTheChangeIndexesOfLToMMinusOne() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 8L << 20, 4096, TestPools.fastOptions())) {
            pool.vdisks().create("v", 64 * 4096);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, TestPools.filled(64 * 4096, 1)); // every segment in use everywhere
            for (int s = 0; s < 6; s++) {
                TestPools.write(v, 4096L * s, TestPools.filled(4096, 10 + s));
                pool.snapshots().take("v", "s" + s);
            }
            List<Long> ids =
                    pool.snapshots().of("v").stream().map(SnapshotInfo::id).toList();
            for (int l = 0; l < 6; l++) {
                for (int m = l + 1; m < 6; m++) {
                    ExtentScan scan = pool.extents().delta("s" + l, "s" + m, 0);
                    collect(scan);
                    assertEquals(m - l, scan.changeIndexesTouched(), "delta s" + l + "..s" + m);
                    Set<Long> expected = ids.subList(l, m).stream().collect(Collectors.toSet());
                    assertEquals(expected, scan.touchedSnapshotIds(), "indexes of s" + l + "..s" + (m - 1) + " only");
                }
            }
            // M = L + 1: one index; the result is exactly the segment written between them
            List<Extent> one = collect(pool.extents().delta("s2", "s3", 0));
            assertEquals(List.of(new Extent(3 * 4096, 4096, Extent.Kind.CHANGED)), one);
        }
    }

    @Test
    void errorsAreTyped() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 8L << 20, 4096, TestPools.fastOptions())) {
            pool.vdisks().create("a", 1 << 20);
            pool.vdisks().create("b", 1 << 20);
            pool.snapshots().take("a", "a1");
            pool.snapshots().take("a", "a2");
            pool.snapshots().take("b", "b1");
            assertEquals(
                    Reason.INVALID_ARGUMENT,
                    assertThrows(EngineException.class, () -> pool.extents().delta("a1", "b1", 0))
                            .reason());
            assertEquals(
                    Reason.INVALID_ARGUMENT,
                    assertThrows(EngineException.class, () -> pool.extents().delta("a2", "a1", 0))
                            .reason());
            assertEquals(
                    Reason.INVALID_ARGUMENT,
                    assertThrows(EngineException.class, () -> pool.extents().delta("a1", "a1", 0))
                            .reason());
            assertEquals(
                    Reason.NOT_FOUND,
                    assertThrows(EngineException.class, () -> pool.extents().delta("a1", "zz", 0))
                            .reason());
            assertEquals(
                    Reason.NOT_FOUND,
                    assertThrows(EngineException.class, () -> pool.extents().allocated("zz", 0))
                            .reason());
            assertEquals(
                    Reason.FAILED_PRECONDITION,
                    assertThrows(
                                    EngineException.class,
                                    () -> TestPools.write(pool.snapshots().reader("a1"), 0, new byte[4096]))
                            .reason());
            assertEquals(
                    Reason.ALREADY_EXISTS,
                    assertThrows(EngineException.class, () -> pool.snapshots().take("a", "b1"))
                            .reason());
            assertEquals(
                    Reason.ALREADY_EXISTS,
                    assertThrows(EngineException.class, () -> pool.snapshots().take("a", "b"))
                            .reason());
        }
    }

    @Test
    void allocatedListsInUseExtentsThroughTheBackingChain() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 8L << 20, 4096, TestPools.fastOptions())) {
            pool.vdisks().create("v", 64 * 4096);
            TestPools.write(pool.vdisks().get("v"), 4096, TestPools.filled(3 * 4096, 1));
            TestPools.write(pool.vdisks().get("v"), 20 * 4096, TestPools.filled(4096, 2));
            pool.snapshots().take("v", "s");
            pool.snapshots().clone("s", "c");
            pool.vdisks().get("c").discard(2 * 4096, 4096);
            TestPools.write(pool.vdisks().get("c"), 30 * 4096, TestPools.filled(100, 3));
            pool.snapshots().take("c", "cs");
            assertEquals(
                    List.of(
                            new Extent(4096, 3 * 4096, Extent.Kind.ALLOCATED),
                            new Extent(20 * 4096, 4096, Extent.Kind.ALLOCATED)),
                    collect(pool.extents().allocated("s", 0)));
            assertEquals(
                    List.of(
                            new Extent(4096, 4096, Extent.Kind.ALLOCATED),
                            new Extent(3 * 4096, 4096, Extent.Kind.ALLOCATED),
                            new Extent(20 * 4096, 4096, Extent.Kind.ALLOCATED),
                            new Extent(30 * 4096, 4096, Extent.Kind.ALLOCATED)),
                    collect(pool.extents().allocated("cs", 0)));
            assertEquals(
                    List.of(
                            new Extent(20 * 4096 + 5, 4096 - 5, Extent.Kind.ALLOCATED),
                            new Extent(30 * 4096, 4096, Extent.Kind.ALLOCATED)),
                    collect(pool.extents().allocated("cs", 20 * 4096 + 5)));
        }
    }
}
