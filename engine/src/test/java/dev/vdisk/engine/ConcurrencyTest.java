package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Many threads on one vdisk: results equal some serial order, and whole 4 KiB blocks are never torn. */
class ConcurrencyTest {
    private static final int BLOCK = 4096;
    private static final int THREADS = 8;

    @TempDir
    Path dir;

    /** A block whose every 8-byte word is {@code tag}: a torn block has two different words. */
    private static void fill(ByteBuffer b, int blocks, long tagBase) {
        b.clear();
        for (int k = 0; k < blocks; k++) {
            for (int i = 0; i < BLOCK / 8; i++) {
                b.putLong(tagBase + k);
            }
        }
        b.flip();
    }

    private static long tagOf(ByteBuffer b, int block) {
        long t = b.getLong(block * BLOCK);
        for (int i = 1; i < BLOCK / 8; i++) {
            if (b.getLong(block * BLOCK + i * 8) != t) {
                throw new AssertionError(
                        "torn block: word 0 is " + t + ", word " + i + " is " + b.getLong(block * BLOCK + i * 8));
            }
        }
        return t;
    }

    private static void runAll(List<Runnable> tasks) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (Runnable r : tasks) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    r.run();
                } catch (Throwable t) {
                    errors.add(t);
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError(errors.size() + " thread(s) failed: " + errors.peek(), errors.peek());
            throw e;
        }
    }

    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 65536})
    void disjointWritersEndWithEachThreadsLastWrite(int seg) throws InterruptedException {
        int blocks = 2048; // 8 MiB
        try (Pool pool = TestPools.create(dir.resolve("p"), 32L << 20, seg, TestPools.fastOptions())) {
            pool.vdisks().create("v", (long) blocks * BLOCK);
            Vdisk v = pool.vdisks().get("v");
            int rounds = 6;
            List<Runnable> tasks = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                tasks.add(() -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
                    for (int r = 0; r < rounds; r++) {
                        for (int blk = me; blk < blocks; blk += THREADS) {
                            fill(b, 1, ((long) r << 32) | blk);
                            v.write((long) blk * BLOCK, b);
                            if (blk % 97 == 0) {
                                v.flush();
                            }
                        }
                    }
                });
            }
            runAll(tasks);
            ByteBuffer all = ByteBuffer.allocateDirect(blocks * BLOCK);
            v.read(0, all);
            for (int blk = 0; blk < blocks; blk++) {
                assertEquals(((long) (rounds - 1) << 32) | blk, tagOf(all, blk), "block " + blk);
            }
            pool.drain();
            assertTrue(pool.check().clean());
        }
    }

    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 65536})
    void overlappingWritersAndReadersNeverSeeTornBlocks(int seg) throws InterruptedException {
        int blocks = 64;
        try (Pool pool = TestPools.create(dir.resolve("p"), 16L << 20, seg, TestPools.fastOptions())) {
            pool.vdisks().create("v", (long) blocks * BLOCK);
            Vdisk v = pool.vdisks().get("v");
            List<Runnable> tasks = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                tasks.add(() -> {
                    Random rnd = new Random(me);
                    ByteBuffer b = ByteBuffer.allocateDirect(4 * BLOCK);
                    for (int i = 0; i < 3000; i++) {
                        int n = 1 + rnd.nextInt(4);
                        int blk = rnd.nextInt(blocks - n + 1);
                        if (me % 2 == 0) {
                            fill(b, n, ((long) (me + 1) << 40) | ((long) i << 8));
                            v.write((long) blk * BLOCK, b);
                        } else {
                            b.clear().limit(n * BLOCK);
                            v.read((long) blk * BLOCK, b);
                            for (int k = 0; k < n; k++) {
                                long tag = tagOf(b, k);
                                assertTrue(tag == 0 || (tag >>> 40) % 2 == 1, "unknown tag " + tag);
                            }
                            if (i % 500 == 0) {
                                v.discard((long) blk * BLOCK, BLOCK);
                            }
                        }
                    }
                });
            }
            runAll(tasks);
            ByteBuffer all = ByteBuffer.allocateDirect(blocks * BLOCK);
            v.read(0, all);
            for (int blk = 0; blk < blocks; blk++) {
                tagOf(all, blk);
            }
            pool.close();
            try (Pool again = Pool.open(dir.resolve("p"), TestPools.fastOptions())) {
                ByteBuffer after = ByteBuffer.allocateDirect(blocks * BLOCK);
                again.vdisks().get("v").read(0, after);
                for (int blk = 0; blk < blocks; blk++) {
                    assertEquals(tagOf(all, blk), tagOf(after, blk), "block " + blk + " after reopen");
                }
                assertTrue(again.check().clean());
            }
        }
    }
}
