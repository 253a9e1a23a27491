package dev.vdisk.bench;

import dev.vdisk.engine.Vdisk;
import java.nio.ByteBuffer;
import java.util.Random;

/** The data the engine benchmarks write: a vdisk full of random bytes, and random whole segments rewritten. */
final class BenchData {
    private BenchData() {}

    /** Writes {@code size} random bytes from offset 0, 1 MiB at a time. */
    static void fill(Vdisk v, long size, Random rnd) {
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
        for (long off = 0; off < size; off += b.capacity()) {
            for (int i = 0; i < b.capacity(); i += 8) {
                b.putLong(i, rnd.nextLong());
            }
            b.clear();
            v.write(off, b);
        }
    }

    /** Rewrites {@code count} randomly chosen segments of {@code segmentBytes} among the first {@code segments}. */
    static void rewriteSegments(Vdisk v, int segmentBytes, long segments, int count, Random rnd) {
        ByteBuffer s = ByteBuffer.allocateDirect(segmentBytes);
        for (int i = 0; i < count; i++) {
            s.clear();
            s.putLong(0, rnd.nextLong());
            v.write(segmentBytes * (long) rnd.nextInt((int) segments), s);
        }
    }
}
