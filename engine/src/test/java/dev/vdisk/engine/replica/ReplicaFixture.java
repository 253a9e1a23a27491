package dev.vdisk.engine.replica;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.Vdisk;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/** Pools, random data with holes and zeros, and comparisons for the replica tests (also used by the crash child). */
final class ReplicaFixture {
    static final int SEGMENT = 16 << 10;

    private ReplicaFixture() {}

    static PoolOptions options() {
        return new PoolOptions(4L << 20, 4L << 20, 200, 8L << 20, 128L << 20, 1);
    }

    static Pool create(Path dir, long size) {
        return Pool.create(dir, new PoolSpec(size, SEGMENT, null, null), options());
    }

    /**
     * Writes {@code segments} random whole segments (one in eight all zeros) at random places and discards a few, so
     * the vdisk has data, written zeros, holes and discarded ranges. Returns the bytes written (changed).
     */
    static long scribble(Vdisk v, Random rnd, int segments) {
        long segs = v.size() / SEGMENT;
        ByteBuffer b = ByteBuffer.allocateDirect(SEGMENT);
        long changed = 0;
        for (int i = 0; i < segments; i++) {
            long seg = (long) (rnd.nextDouble() * rnd.nextDouble() * segs); // denser at the start: holes later
            b.clear();
            if (rnd.nextInt(8) != 0) {
                byte[] data = new byte[SEGMENT];
                rnd.nextBytes(data);
                b.put(data);
            } else {
                b.put(new byte[SEGMENT]);
            }
            b.flip();
            v.write(seg * SEGMENT, b);
            changed += SEGMENT;
        }
        for (int i = 0; i < segments / 50; i++) {
            long seg = rnd.nextLong(segs);
            v.discard(seg * SEGMENT, SEGMENT);
            changed += SEGMENT;
        }
        v.flush();
        return changed;
    }

    /**
     * Writes random 4 KiB blocks over {@code fraction} of the vdisk's blocks (a few as zeros over data, most random), at
     * uniformly random places: a delta whose segments change only in part. Returns the distinct bytes changed.
     */
    static long scribbleBlocks(Vdisk v, Random rnd, double fraction) {
        int block = 4096;
        long blocks = v.size() / block;
        java.util.Set<Long> changed = new java.util.HashSet<>();
        ByteBuffer b = ByteBuffer.allocateDirect(block);
        byte[] data = new byte[block];
        while (changed.size() < blocks * fraction) {
            long at = rnd.nextLong(blocks);
            rnd.nextBytes(data);
            b.clear();
            b.put(data).flip();
            v.write(at * block, b);
            changed.add(at);
        }
        v.flush();
        return changed.size() * (long) block;
    }

    static void assertSameBytes(Vdisk expected, Vdisk actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": size");
        ByteBuffer a = ByteBuffer.allocateDirect(1 << 20);
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
        byte[] x = new byte[1 << 20];
        byte[] y = new byte[1 << 20];
        for (long at = 0; at < expected.size(); at += 1 << 20) {
            a.clear();
            b.clear();
            int n = expected.read(at, a);
            actual.read(at, b);
            a.flip().get(x, 0, n);
            b.flip().get(y, 0, n);
            if (!Arrays.equals(x, 0, n, y, 0, n)) {
                assertArrayEquals(x, y, what + ": bytes differ in the MiB at " + at);
            }
        }
    }

    /** Every in-use extent of the replica's snapshot lies inside one of the source's: holes stayed holes. */
    static void assertHolesStayHoles(ReplicaHost source, String srcSnap, ReplicaHost target, String dstSnap) {
        List<SourceExtent> src = new ArrayList<>();
        source.extents(null, srcSnap, 0).forEachRemaining(src::add);
        int i = 0;
        for (Iterator<SourceExtent> it = target.extents(null, dstSnap, 0); it.hasNext(); ) {
            SourceExtent e = it.next();
            while (i < src.size() && src.get(i).end() <= e.offset()) {
                i++;
            }
            long start = e.offset();
            int j = i;
            while (j < src.size() && src.get(j).offset() <= start && start < e.end()) {
                start = src.get(j).end();
                j++;
            }
            assertTrue(start >= e.end(), "replica has data at " + e + " where the source has a hole");
        }
    }

    /** Exports {@code snap} (from {@code base}, null = seed) from {@code from} into {@code imp}. Returns chunks sent. */
    static List<ExtentChunk> pump(ReplicaHost source, String base, String snap, long from, ReplicaImport imp) {
        List<ExtentChunk> sent = new ArrayList<>();
        SnapshotExport export = new SnapshotExport(source, base, snap, from, 256 << 10);
        while (export.hasNext()) {
            ExtentChunk c = export.next();
            sent.add(c);
            imp.apply(c);
        }
        return sent;
    }

    static long dataBytes(List<ExtentChunk> chunks) {
        return chunks.stream()
                .filter(ExtentChunk::hasData)
                .mapToLong(ExtentChunk::length)
                .sum();
    }
}
