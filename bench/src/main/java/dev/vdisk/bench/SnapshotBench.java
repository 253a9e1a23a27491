package dev.vdisk.bench;

import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.engine.Extent;
import dev.vdisk.engine.ExtentScan;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.Vdisk;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Engine side of {@code e2e/bench/snapshot.sh} and {@code e2e/bench/delta.sh} ({@link SplitBench} is the split's).
 * Prints {@code RESULT name value unit}.
 *
 * <pre>
 * SnapshotBench snapshot POOL_DIR ROUNDS      1 GiB and 1 TiB thin vdisks with the same 64 MiB written; median
 *                                             snapshot and clone times of each, alternating
 * SnapshotBench delta POOL_DIR SIZE PERCENT   SIZE vdisk fully written, snapshot L, PERCENT of segments rewritten,
 *                                             snapshot M; time delta(L, M) and reading and comparing both snapshots
 * </pre>
 */
public final class SnapshotBench {
    private static final int SEG = 64 * 1024;

    private SnapshotBench() {}

    public static void main(String[] a) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Path dir = Path.of(a[1]);
        if (a[0].equals("snapshot")) {
            snapshot(dir, Integer.parseInt(a[2]));
        } else {
            delta(dir, ByteSize.parse(a[2]).bytes(), Double.parseDouble(a[3]));
        }
    }

    private static void snapshot(Path dir, int rounds) {
        try (Pool pool = Pool.create(dir, new PoolSpec(4L << 30, SEG, null, null), PoolOptions.defaults())) {
            long[] sizes = {1L << 30, 1L << 40};
            String[] names = {"g1", "t1"};
            ByteBuffer b = ByteBuffer.allocateDirect(SEG);
            for (int i = 0; i < 2; i++) {
                pool.vdisks().create(names[i], sizes[i]);
                Vdisk v = pool.vdisks().get(names[i]);
                for (int k = 0; k < 1024; k++) { // 64 MiB spread over the first GiB
                    b.clear();
                    b.putLong(0, k);
                    v.write((long) k * (1L << 20), b);
                }
            }
            pool.drain();
            long[][] snap = new long[2][rounds];
            long[][] clone = new long[2][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < 2; i++) {
                    Vdisk v = pool.vdisks().get(names[i]);
                    b.clear();
                    b.putLong(0, r);
                    v.write(0, b); // one change per round, so each snapshot has something to write out
                    long t0 = System.nanoTime();
                    pool.snapshots().take(names[i], names[i] + "-s" + r);
                    snap[i][r] = System.nanoTime() - t0;
                    t0 = System.nanoTime();
                    pool.snapshots().clone(names[i] + "-s" + r, names[i] + "-c" + r);
                    clone[i][r] = System.nanoTime() - t0;
                }
            }
            for (int i = 0; i < 2; i++) {
                System.out.printf(Locale.ROOT, "RESULT snapshot-%s %.3f ms%n", names[i], median(snap[i]) / 1e6);
                System.out.printf(Locale.ROOT, "RESULT clone-%s %.3f ms%n", names[i], median(clone[i]) / 1e6);
            }
        }
    }

    private static void delta(Path dir, long size, double percent) {
        try (Pool pool = Pool.create(
                dir, new PoolSpec(size + size / 4 + (256L << 20), SEG, null, null), PoolOptions.defaults())) {
            pool.vdisks().create("v", size);
            Vdisk v = pool.vdisks().get("v");
            Random rnd = new Random(1);
            BenchData.fill(v, size, rnd);
            pool.snapshots().take("v", "L");
            long segs = size / SEG;
            int changed = (int) Math.round(segs * percent / 100);
            BenchData.rewriteSegments(v, SEG, segs, changed, rnd);
            pool.snapshots().take("v", "M");
            long[] times = new long[7];
            long extents = 0;
            long bytes = 0;
            int indexes = 0;
            for (int run = 0; run < times.length; run++) { // run 0 is cold (JIT); report it and the warm median
                long t0 = System.nanoTime();
                ExtentScan scan = pool.extents().delta("L", "M", 0);
                extents = 0;
                bytes = 0;
                while (scan.hasNext()) {
                    Extent e = scan.next();
                    extents++;
                    bytes += e.length();
                }
                times[run] = System.nanoTime() - t0;
                indexes = scan.changeIndexesTouched();
            }
            System.out.printf(
                    Locale.ROOT,
                    "RESULT delta %.3f ms %d extents %d bytes %d indexes (warm median; cold %.3f" + " ms)%n",
                    median(Arrays.copyOfRange(times, 1, times.length)) / 1e6,
                    extents,
                    bytes,
                    indexes,
                    times[0] / 1e6);
            long t0 = System.nanoTime();
            Vdisk l = pool.snapshots().reader("L");
            Vdisk m = pool.snapshots().reader("M");
            ByteBuffer x = ByteBuffer.allocateDirect(1 << 20);
            ByteBuffer y = ByteBuffer.allocateDirect(1 << 20);
            long differing = 0;
            for (long off = 0; off < size; off += x.capacity()) {
                x.clear();
                y.clear();
                l.read(off, x);
                m.read(off, y);
                x.flip();
                y.flip();
                for (int i = 0; i < x.limit(); i += SEG) {
                    if (!x.slice(i, SEG).equals(y.slice(i, SEG))) {
                        differing++;
                    }
                }
            }
            long tRead = System.nanoTime() - t0;
            System.out.printf(Locale.ROOT, "RESULT readboth %.3f ms %d segments differ%n", tRead / 1e6, differing);
        }
    }

    private static double median(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
