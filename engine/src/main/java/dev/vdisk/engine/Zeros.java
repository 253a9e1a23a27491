package dev.vdisk.engine;

import java.nio.ByteBuffer;

/** One read-only segment of zeros (direct memory), shared by a pool's vdisks to fill buffers that read zeros. */
final class Zeros {
    private final ByteBuffer zeros;

    Zeros(int segmentSize) {
        this.zeros = ByteBuffer.allocateDirect(segmentSize).asReadOnlyBuffer();
    }

    /** A segment of zeros; read it with absolute gets or bulk puts from it, never move its position. */
    ByteBuffer segment() {
        return zeros;
    }

    /** Puts {@code n} zero bytes at {@code dst}'s position and advances it. */
    void fill(ByteBuffer dst, int n) {
        int p = dst.position();
        int done = 0;
        while (done < n) {
            int c = Math.min(n - done, zeros.capacity());
            dst.put(p + done, zeros, 0, c);
            done += c;
        }
        dst.position(p + n);
    }
}
