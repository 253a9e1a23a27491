package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.map.NodeCache;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A map cache far smaller than the maps: indirect blocks are evicted and reloaded (CRC-checked) while writers path-copy
 * and dirty them and consistency points write them out, and no read ever sees another segment's data.
 */
class MapCacheEvictionTest {
    private static final int SEG = 4096; // fanout 256: a level-1 block maps 1 MiB, and is 4 KiB of heap
    private static final long SIZE = 2L << 30; // 512 level-1 blocks when written everywhere, 3 levels
    private static final int WRITERS = 2;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void nodesEvictedAndReloadedUnderConcurrentReadsAndWritesKeepEveryWrite() throws Exception {
        Path p = dir.resolve("p");
        PoolOptions small = TestPools.fastOptions().withMapCacheBytes(1L << 20); // ~230 blocks of 4 KiB
        ConcurrentHashMap<Long, Integer> model = new ConcurrentHashMap<>(); // segment -> version last written
        try (Pool pool = TestPools.create(p, 1L << 30, SEG, small)) {
            pool.vdisks().create("v", SIZE);
            Vdisk v = pool.vdisks().get("v");
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int id = w;
                threads.add(Thread.ofPlatform()
                        .start(() -> run(failure, () -> {
                            Random rnd = new Random(id);
                            long segments = SIZE / SEG;
                            for (int n = 0; System.nanoTime() < deadline && n < 12_000; n++) {
                                long seg = rnd.nextLong(segments / WRITERS) * WRITERS
                                        + id; // each writer owns its segments
                                int version = model.getOrDefault(seg, 0) + 1;
                                TestPools.write(v, seg * SEG, pattern(seg, version));
                                model.put(seg, version);
                                if (n % 500 == 0 && id == 0) {
                                    pool.snapshots()
                                            .take("v", "s" + n); // shares every node: later writes path-copy them
                                }
                            }
                        })));
            }
            for (int r = 0; r < 2; r++) {
                int id = r;
                threads.add(Thread.ofPlatform()
                        .start(() -> run(failure, () -> {
                            Random rnd = new Random(100 + id);
                            while (System.nanoTime() < deadline) {
                                Long[] keys = model.keySet().toArray(new Long[0]);
                                if (keys.length == 0) {
                                    continue;
                                }
                                long seg = keys[rnd.nextInt(keys.length)];
                                int at = model.get(seg);
                                int seen = versionOf(seg, TestPools.read(v, seg * SEG, SEG));
                                assertTrue(seen >= at, "segment " + seg + " reads version " + seen + ", wrote " + at);
                            }
                        })));
            }
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            pool.drain();
            pool.checkpoint();
            verifyAll(v, model);
            NodeCache.Stats s = pool.mapCacheStats();
            assertTrue(s.evictions() > 1000, "the cache must have evicted: " + s);
            assertTrue(s.bytes() <= s.capacityBytes(), "the cache stays in its bound: " + s);
            assertTrue(pool.check().clean(), pool.check().toString());
        }
        try (Pool pool = Pool.open(p, small)) {
            verifyAll(pool.vdisks().get("v"), model);
            assertTrue(pool.check().clean());
            assertTrue(pool.mapCacheStats().loads() > 0);
        }
    }

    private static void verifyAll(Vdisk v, ConcurrentHashMap<Long, Integer> model) {
        for (var e : model.entrySet()) {
            assertEquals(e.getValue(), versionOf(e.getKey(), TestPools.read(v, e.getKey() * SEG, SEG)), "segment " + e);
        }
    }

    /** A segment's content: its number and a version, repeated, so that a block read from elsewhere shows. */
    private static byte[] pattern(long seg, int version) {
        ByteBuffer b = ByteBuffer.allocate(SEG);
        while (b.hasRemaining()) {
            b.putLong(seg).putInt(version).putInt(~version);
        }
        return b.array();
    }

    private static int versionOf(long seg, byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        long s = b.getLong();
        int version = b.getInt();
        assertEquals(seg, s, "segment " + seg + " reads another segment's data");
        assertArrayEquals(pattern(seg, version), data, "segment " + seg + " is torn");
        return version;
    }

    private static void run(AtomicReference<Throwable> failure, ThrowingRunnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
