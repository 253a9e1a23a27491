package dev.vdisk.engine;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Child JVM of {@link HugePoolHeapTest}, run with a small {@code -Xmx}: opens the pool, reads back every written
 * block, writes more, takes a consistency point, and prints {@code HEAP <bytes>} (used heap after a GC) and
 * {@code CACHE <stats>}. Exit 0 only if every block read back.
 */
final class HugePoolChild {
    private HugePoolChild() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        long cache = Long.parseLong(args[1]);
        try (Pool pool = Pool.open(dir, TestPools.quietOptions().withMapCacheBytes(cache))) {
            for (int d = 0; d < HugePoolHeapTest.WRITTEN_VDISKS; d++) {
                Vdisk v = pool.vdisks().get("v" + d);
                for (int k = 0; k < HugePoolHeapTest.WRITES_PER_VDISK; k++) {
                    long off = HugePoolHeapTest.offset(k);
                    byte[] want = TestPools.filled(4096, d * 100_000 + k);
                    if (!Arrays.equals(want, TestPools.read(v, off, 4096))) {
                        System.out.println("MISMATCH v" + d + " at " + off);
                        System.exit(3);
                    }
                    TestPools.write(v, off + 4096, want); // dirty the leaf again
                }
                pool.drain();
                pool.checkpoint(); // write-out of this vdisk's dirty leaves before the next one's
            }
            System.gc();
            Runtime rt = Runtime.getRuntime();
            System.out.println("HEAP " + (rt.totalMemory() - rt.freeMemory()));
            System.out.println("CACHE " + pool.mapCacheStats());
        }
    }
}
