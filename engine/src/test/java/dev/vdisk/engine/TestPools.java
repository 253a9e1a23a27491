package dev.vdisk.engine;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/** Tiny geometries for tests: pools of a handful of segments, fast consistency points. */
final class TestPools {
    private TestPools() {}

    static PoolOptions fastOptions() {
        return new PoolOptions(2L << 20, 2L << 20, 50, 4L << 20, 64L << 20, 1);
    }

    /** Options that never checkpoint on their own (tests that simulate crashes at exact points). */
    static PoolOptions quietOptions() {
        return new PoolOptions(4L << 20, 8L << 20, 3_600_000, 64L << 20, 1L << 30, 1);
    }

    static Pool create(Path dir, long size, int segmentSize, PoolOptions o) {
        return Pool.create(dir, new PoolSpec(size, segmentSize, null, null), o);
    }

    static ByteBuffer direct(byte[] b) {
        ByteBuffer d = ByteBuffer.allocateDirect(b.length);
        d.put(b).flip();
        return d;
    }

    static byte[] read(Vdisk v, long off, int len) {
        ByteBuffer d = ByteBuffer.allocateDirect(len);
        int n = v.read(off, d);
        byte[] out = new byte[n];
        d.flip().get(out);
        return out;
    }

    static void write(Vdisk v, long off, byte[] b) {
        v.write(off, direct(b));
    }

    static byte[] filled(int len, int seed) {
        byte[] b = new byte[len];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        return b;
    }
}
