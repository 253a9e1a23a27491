package dev.vdisk.bench;

import dev.vdisk.cli.shared.ByteSize;
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
 * Engine side of {@code e2e/bench/scale.sh}: what a pool costs as it grows. For each volume size (1 GiB in a 2 GiB
 * pool, and 10 TiB thin in a 1 TiB sparse pool), one vdisk gets 1024 segments written spread over its whole size,
 * then snapshots are taken (each after 4 segments rewritten at spread positions, so every snapshot has a change index),
 * and at 1, 100 and 1000 snapshots it measures: the median consistency point after 16 random 4 KiB writes, once
 * destaged (wall time, its CPU time, and the bytes the process wrote meanwhile, {@code wchar}); the time of a fixed
 * count of 4 KiB random writes in the vdisk's first 32 MiB (one thread, no flush; a count, not a duration, and a
 * small region, so that what the snapshots keep of each row is at most 512 segments whatever the machine's speed; each
 * snapshot keeps about 10 segments of its own, so 1000 of them need 2 GiB); then heap used after GC with the map node cache in place (its size from
 * {@code -Dbench.mapCache}, default the pool's 64M; the blocks it holds, times 64 KiB, printed apart) and the pool's
 * used space. Rows should be flat. Prints {@code ROW volumes pool snapshots heapMiB cacheMiB
 * pointMs pointCpuMs pointKiB iops usedPercent}.
 *
 * <pre>
 * ScaleBench POOL_DIR [WRITES_PER_ROW]
 * </pre>
 */
public final class ScaleBench {
    private static final int SEG = 64 * 1024;
    private static final int POINTS = 15;
    /** Where the IOPS writes go: 512 segments, what each row's writes may leave to the snapshots. */
    private static final long IOPS_REGION = 32L << 20;

    private ScaleBench() {}

    public static void main(String[] a) throws IOException {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Path dir = Path.of(a[0]);
        int writes = a.length > 1 ? Integer.parseInt(a[1]) : 4096;
        PoolOptions options = PoolOptions.defaults()
                .withMapCacheBytes(ByteSize.parse(System.getProperty("bench.mapCache", "64M"))
                        .bytes());
        long[][] shapes = {{1L << 30, 2L << 30}, {10L << 40, 1L << 40}}; // volumes, pool (thin, sparse)
        for (long[] s : shapes) {
            Path p = dir.resolve("pool-" + s[0]);
            run(p, s[0], s[1], options, writes);
            deleteTree(p);
        }
    }

    private static void run(Path dir, long volume, long poolSize, PoolOptions options, int writes) {
        try (Pool pool = Pool.create(dir, new PoolSpec(poolSize, SEG, null, null), options)) {
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
                measure(pool, v, volume, poolSize, taken, writes, rnd);
            }
        }
    }

    private static void measure(Pool pool, Vdisk v, long volume, long poolSize, int snaps, int writes, Random rnd) {
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
        long t0 = System.nanoTime();
        long region = IOPS_REGION / 4096;
        for (int n = 0; n < writes; n++) {
            b.clear();
            b.putLong(0, n);
            v.write(4096 * (rnd.nextLong() & (region - 1)), b);
        }
        double iops = writes / ((System.nanoTime() - t0) / 1e9);
        pool.drain();
        System.gc();
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        PoolInfo info = pool.info();
        System.out.printf(
                Locale.ROOT,
                "ROW %s %s %d %.1f %.1f %.2f %.2f %.0f %.0f %.0f%n",
                human(volume),
                human(poolSize),
                snaps,
                heap / 1048576.0,
                pool.mapCacheStats().nodes() * (SEG / 1048576.0),
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
