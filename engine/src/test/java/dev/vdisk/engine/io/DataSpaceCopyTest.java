package dev.vdisk.engine.io;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DataSpace#copyRange} and {@link DataSpace#startWriteback}: the COPY split's data path. */
class DataSpaceCopyTest {
    @TempDir
    Path dir;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] read(DataSpace ds, long pos, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        ds.readFully(b, pos);
        return b.array();
    }

    @Test
    void copiesInsideTheFileInTheKernel() throws Exception {
        Path f = dir.resolve("data");
        Files.createFile(f);
        int n = (3 << 20) + 4096 * 5; // more than one in-kernel call may move, not a power of two
        byte[] src = random(n, 1);
        try (DataSpace ds = new DataSpace(f)) {
            ds.writeFully(ByteBuffer.wrap(src), 65536);
            ds.writeFully(ByteBuffer.wrap(random(4096, 2)), (16L << 20) + n); // the destination is a hole in the file
            ds.copyRange(65536, 16L << 20, n);
            assertArrayEquals(src, read(ds, 16L << 20, n));
            assertArrayEquals(src, read(ds, 65536, n), "the source changed");
            assertArrayEquals(random(4096, 2), read(ds, (16L << 20) + n, 4096), "wrote past the range");
            ds.startWriteback(16L << 20, n);
            ds.force();
            assertArrayEquals(src, read(ds, 16L << 20, n));
        }
        // and on Linux it really is the kernel's copy and writeback (the split's throughput depends on both)
        try (KernelRanges k = KernelRanges.open(f)) {
            assertNotNull(k, "copy_file_range/sync_file_range not bound: not Linux/glibc?");
            assertEquals(65536, k.copy(0, 32L << 20, 65536));
            assertTrue(k.startWriteback(32L << 20, 65536), "sync_file_range refused on a regular file");
        }
    }

    @Test
    void copyFromPastTheEndOfASparseFileWritesZeros() throws Exception {
        Path f = dir.resolve("data");
        Files.createFile(f);
        try (DataSpace ds = new DataSpace(f)) {
            ds.writeFully(ByteBuffer.wrap(random(8192, 3)), 0);
            ds.copyRange(4096, 1 << 20, 3 * 4096); // one page of data, then two past the end
            byte[] got = read(ds, 1 << 20, 3 * 4096);
            byte[] want = new byte[3 * 4096];
            System.arraycopy(random(8192, 3), 4096, want, 0, 4096);
            assertArrayEquals(want, got);
        }
    }
}
