package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.check.CheckReport;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property 1: every read returns the newest acknowledged write, or zeros. Thousands of random writes (aligned and
 * not), discards (whole and partial segments), flushes, reads, checks and close/reopen cycles on several vdisks,
 * against byte arrays. Half of the reopen cycles are simulated crashes right after a flush (journal replay).
 */
class ModelTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 16384, 65536})
    void randomOperationsMatchTheModel(int segmentSize) {
        Random rnd = new Random(segmentSize * 31L + 5);
        long[] sizes = {3L << 20, (1L << 20) + 8192, 5L << 20};
        String[] names = {"a", "b", "c"};
        byte[][] model = new byte[sizes.length][];
        Pool pool = TestPools.create(dir.resolve("p"), 32L << 20, segmentSize, TestPools.fastOptions());
        try {
            for (int i = 0; i < sizes.length; i++) {
                pool.vdisks().create(names[i], sizes[i]);
                model[i] = new byte[(int) sizes[i]];
            }
            int ops = 4000;
            for (int op = 0; op < ops; op++) {
                int d = rnd.nextInt(sizes.length);
                Vdisk v = pool.vdisks().get(names[d]);
                byte[] m = model[d];
                int r = rnd.nextInt(100);
                if (r < 45) {
                    int len = rnd.nextBoolean()
                            ? 4096 * (1 + rnd.nextInt(3 * segmentSize / 4096))
                            : 1 + rnd.nextInt(3 * segmentSize);
                    len = Math.min(len, m.length);
                    long off = rnd.nextBoolean()
                            ? 4096L * rnd.nextInt((m.length - len) / 4096 + 1)
                            : rnd.nextInt(m.length - len + 1);
                    byte[] data = TestPools.filled(len, op);
                    TestPools.write(v, off, data);
                    System.arraycopy(data, 0, m, (int) off, len);
                } else if (r < 55) {
                    long off;
                    long len;
                    if (rnd.nextBoolean()) {
                        off = (long) segmentSize * rnd.nextInt(m.length / segmentSize);
                        len = (long) segmentSize * (1 + rnd.nextInt(4));
                    } else {
                        off = rnd.nextInt(m.length);
                        len = 1 + rnd.nextInt(2 * segmentSize);
                    }
                    len = Math.min(len, m.length - off);
                    v.discard(off, len);
                    Arrays.fill(m, (int) off, (int) (off + len), (byte) 0);
                } else if (r < 60) {
                    v.flush();
                } else if (r < 96) {
                    int len = 1 + rnd.nextInt(2 * segmentSize);
                    len = Math.min(len, m.length);
                    int off = rnd.nextInt(m.length - len + 1);
                    assertArrayEquals(
                            Arrays.copyOfRange(m, off, off + len),
                            TestPools.read(v, off, len),
                            "op " + op + ": read of " + len + " at " + off + " of " + names[d]);
                } else if (r < 97) {
                    if (rnd.nextBoolean()) {
                        pool.close();
                    } else {
                        v.flush(); // everything acknowledged is durable: a crash now must lose nothing
                        pool.abandonForTesting();
                    }
                    pool = Pool.open(dir.resolve("p"), TestPools.fastOptions());
                } else if (r < 98) {
                    CheckReport c = pool.check();
                    assertTrue(c.clean(), () -> "op " + ", check: " + c.problems());
                } else if (r < 99) {
                    pool.drain();
                }
            }
            for (int i = 0; i < sizes.length; i++) {
                assertArrayEquals(model[i], readAll(pool.vdisks().get(names[i])), "final content of " + names[i]);
            }
            pool.close();
            pool = Pool.open(dir.resolve("p"), TestPools.fastOptions());
            for (int i = 0; i < sizes.length; i++) {
                assertArrayEquals(
                        model[i], readAll(pool.vdisks().get(names[i])), "content of " + names[i] + " after reopen");
            }
            CheckReport c = pool.check();
            assertTrue(c.clean(), () -> "final check: " + c.problems());
        } finally {
            pool.close();
        }
    }

    static byte[] readAll(Vdisk v) {
        ByteBuffer b = ByteBuffer.allocateDirect((int) v.size());
        assertEquals(v.size(), v.read(0, b));
        byte[] out = new byte[(int) v.size()];
        b.flip().get(out);
        return out;
    }
}
