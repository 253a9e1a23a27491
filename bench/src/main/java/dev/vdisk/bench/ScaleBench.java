package dev.vdisk.bench;

import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolInfo;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.Vdisk;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Engine side of {@code e2e/bench/scale.sh}: what a pool costs as it grows. For each volume size (1 GiB, and 10 TiB
 * thin in a sparse pool), one vdisk gets 1024 segments written spread over its whole size, then snapshots are taken
 * (each after 4 segments rewritten at spread positions, so every snapshot has a change index), and at 1, 100 and
 * 1000 snapshots it measures: heap used after GC; the median consistency point after 16 random 4 KiB writes, once
 * destaged (wall time, its CPU time, and the bytes the process wrote meanwhile, {@code wchar}); 4 KiB random-write
 * IOPS in the vdisk's first GiB (one thread, no flush); then the pool's used space (snapshots keep what each row's
 * IOPS run overwrote). Rows should be flat. Prints {@code ROW volumes pool snapshots heapMiB pointMs pointCpuMs
 * pointKiB iops usedPercent}.
 *
 * <pre>
 * ScaleBench POOL_DIR [SECONDS]
 * </pre>
 */
public final class ScaleBench {
    private static final int SEG = 64 * 1024;
    private static final int POINTS = 15;

    private ScaleBench() {}

    public static void main(String[] a) throws IOException {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Path dir = Path.of(a[0]);
        double seconds = a.length > 1 ? Double.parseDouble(a[1]) : 3;
        long[][] shapes = {{1L << 30, 4L << 30}, {10L << 40, 1L << 40}}; // volumes, pool (thin, sparse)
        for (long[] s : shapes) {
            Path p = dir.resolve("pool-" + s[0]);
            run(p, s[0], s[1], seconds);
            deleteTree(p);
        }
    }

    private static void run(Path dir, long volume, long poolSize, double seconds) {
        try (Pool pool = Pool.create(dir, new PoolSpec(poolSize, SEG, null, null), PoolOptions.defaults())) {
            pool.vdisks().create("v", volume);
            Vdisk v = pool.vdisks().get("v");
            long stride = volume / 1024;
            ByteBuffer seg = ByteBuffer.allocateDirect(SEG);
            for (int k = 0; k < 1024; k++) {
                seg.clear();
                seg.putLong(0, k);
                v.write(k * stride, seg);
            }
            pool.drain();
            Random rnd = new Random(1);
            int taken = 0;
            for (int target : List.of(1, 100, 1000)) {
                for (; taken < target; taken++) {
                    for (int w = 0; w < 4; w++) {
                        seg.clear();
                        seg.putLong(0, rnd.nextLong());
                        v.write(rnd.nextInt(1024) * stride, seg);
                    }
                    pool.snapshots().take("v", "s" + taken);
                }
                measure(pool, v, volume, poolSize, taken, seconds, rnd);
            }
        }
    }

    private static void measure(Pool pool, Vdisk v, long volume, long poolSize, int snaps, double sec, Random rnd) {
        ByteBuffer b = ByteBuffer.allocateDirect(4096);
        long blocks = (1L << 30) / 4096;
        long[] times = new long[POINTS];
        long[] wrote = new long[POINTS];
        long[] cpu = new long[POINTS];
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < POINTS; i++) {
            for (int w = 0; w < 16; w++) {
                b.clear();
                b.putLong(0, rnd.nextLong());
                v.write(4096 * (rnd.nextLong() & (blocks - 1)), b);
            }
            awaitDestaged(pool); // so that the point has the writes' map changes to write out
            long w0 = wchar();
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            pool.checkpoint(); // on this thread: its CPU time is the point's (the walk over entries, encoding)
            times[i] = System.nanoTime() - t0;
            cpu[i] = threads.getCurrentThreadCpuTime() - c0;
            wrote[i] = wchar() - w0;
        }
        long n = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (sec * 1e9);
        while (System.nanoTime() < end) {
            for (int i = 0; i < 64; i++, n++) {
                b.clear();
                b.putLong(0, n);
                v.write(4096 * (rnd.nextLong() & (blocks - 1)), b);
            }
        }
        double iops = n / ((System.nanoTime() - t0) / 1e9);
        pool.drain();
        System.gc();
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        PoolInfo info = pool.info();
        System.out.printf(
                Locale.ROOT,
                "ROW %s %s %d %.1f %.2f %.2f %.0f %.0f %.0f%n",
                human(volume),
                human(poolSize),
                snaps,
                heap / 1048576.0,
                median(times) / 1e6,
                median(cpu) / 1e6,
                median(wrote) / 1024.0,
                iops,
                100.0 * info.usedBytes() / info.sizeBytes());
    }

    /** Waits (up to 5 s) until the destager has applied every journalled write to the maps. */
    private static void awaitDestaged(Pool pool) {
        long until = System.nanoTime() + 5_000_000_000L;
        while (pool.info().dirtyBytes() > 0 && System.nanoTime() < until) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Bytes this process passed to write calls so far ({@code /proc/self/io} wchar), or 0 if unreadable. */
    private static long wchar() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (line.startsWith("wchar:")) {
                    return Long.parseLong(line.substring(6).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static String human(long bytes) {
        return bytes >= 1L << 40 ? (bytes >> 40) + "TiB" : (bytes >> 30) + "GiB";
    }

    private static double median(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    private static void deleteTree(Path p) throws IOException {
        try (var s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
