package dev.vdisk.engine;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Child JVM of {@link MapDirtyBoundTest}, run with a small {@code -Xmx}: creates a pool with a 4 TiB thin vdisk and a
 * 1 MiB map cache, writes 4 KiB to {@code writes} places each in its own level-1 block without a drain or a requested
 * point, and after every write (then while the destager catches up) notes the maps' dirty bytes. Prints {@code MAXDIRTY <bytes>}, {@code LIMIT <bytes>},
 * {@code POINTS <n>} (points taken during the burst), {@code DIRTYAFTERPOINT <bytes>} (after a snapshot, path copies
 * and a point: 0) and {@code HEAP <bytes>}; exit 0 only if every write reads back.
 */
final class MapDirtyBoundChild {
    private MapDirtyBoundChild() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int writes = Integer.parseInt(args[1]);
        PoolOptions o = TestPools.quietOptions().withMapCacheBytes(PoolOptions.MIN_MAP_CACHE_BYTES);
        try (Pool pool = TestPools.create(dir, 256L << 30, MapDirtyBoundTest.SEG, o)) {
            pool.vdisks().create("v", 4L << 40);
            Vdisk v = pool.vdisks().get("v");
            long g0 = pool.info().generation();
            long maxDirty = 0;
            for (int k = 0; k < writes; k++) {
                TestPools.write(v, MapDirtyBoundTest.offset(k), TestPools.filled(4096, k));
                maxDirty = Math.max(maxDirty, pool.mapCacheStats().dirtyBytes());
            }
            // the destager is still behind by up to the changes table (4 MiB): let it finish on its own, no drain
            long until = System.nanoTime() + 120_000_000_000L;
            while (pool.info().dirtyBytes() > 0 && System.nanoTime() < until) {
                maxDirty = Math.max(maxDirty, pool.mapCacheStats().dirtyBytes());
                sleep();
            }
            maxDirty = Math.max(maxDirty, pool.mapCacheStats().dirtyBytes());
            long points = pool.info().generation() - g0;
            for (int k = 0; k < writes; k++) {
                if (!Arrays.equals(TestPools.filled(4096, k), TestPools.read(v, MapDirtyBoundTest.offset(k), 4096))) {
                    System.out.println("MISMATCH at write " + k);
                    System.exit(3);
                }
            }
            // the count is exact: path copies after a snapshot are counted, and a point takes every dirty node back
            pool.snapshots().take("v", "s");
            for (int k = 0; k < 20; k++) {
                TestPools.write(v, MapDirtyBoundTest.offset(k) + 8192, TestPools.filled(4096, k));
            }
            pool.drain();
            System.out.println("DIRTYAFTERPOINT " + pool.mapCacheStats().dirtyBytes());
            System.gc();
            Runtime rt = Runtime.getRuntime();
            System.out.println("MAXDIRTY " + maxDirty);
            System.out.println("LIMIT " + o.mapDirtyLimitBytes());
            System.out.println("POINTS " + points);
            System.out.println("HEAP " + (rt.totalMemory() - rt.freeMemory()));
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
