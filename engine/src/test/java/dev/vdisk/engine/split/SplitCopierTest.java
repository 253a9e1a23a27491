package dev.vdisk.engine.split;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.io.DataSpace;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SplitCopier}: a stretch cut into parts copied at once arrives whole, byte for byte; copies dropped from the
 * page cache behind the copier read back the same (from the disk).
 */
class SplitCopierTest {
    @TempDir
    Path dir;

    @Test
    void copiesStretchesCutIntoPartsByteForByte() throws Exception {
        int seg = 64 << 10;
        Path f = dir.resolve("data");
        Files.createFile(f);
        byte[] src = new byte[37 * seg]; // not a multiple of the parts: the caller's part takes the remainder
        new Random(7).nextBytes(src);
        try (DataSpace ds = new DataSpace(f);
                SplitCopier c = new SplitCopier(ds, seg)) {
            ds.writeFully(ByteBuffer.wrap(src), 0);
            for (int units : new int[] {1, 2, 3, 16, 37}) {
                long to = (64L + units) * seg;
                c.copy(0, to, (long) units * seg);
                ByteBuffer got = ByteBuffer.allocate(units * seg);
                ds.readFully(got, to);
                for (int i = 0; i < units * seg; i++) {
                    if (got.get(i) != src[i]) {
                        fail(units + " segments: byte " + i + " differs");
                    }
                }
            }
        }
    }

    @Test
    void copiesDroppedBehindReadBackTheSame() throws Exception {
        int seg = 64 << 10;
        int stretch = 64 * seg; // 4 MiB
        int copies = (int) (SplitCopier.CACHED_BYTES / stretch) + 4; // the first 4 leave the page cache
        Path f = dir.resolve("data");
        Files.createFile(f);
        byte[] src = new byte[stretch];
        new Random(11).nextBytes(src);
        try (DataSpace ds = new DataSpace(f);
                SplitCopier c = new SplitCopier(ds, seg)) {
            ds.writeFully(ByteBuffer.wrap(src), 0);
            for (int k = 1; k <= copies; k++) {
                c.copy(0, (long) k * stretch, stretch);
                c.dropBehind();
            }
            ByteBuffer got = ByteBuffer.allocate(stretch);
            for (int k = 1; k <= copies; k++) {
                ds.readFully(got.clear(), (long) k * stretch);
                assertArrayEquals(src, got.array(), "copy " + k);
            }
        }
    }
}
