package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.Reason;
import dev.vdisk.engine.format.Superblock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Torn and corrupt metadata: superblock slots, indirect blocks. Never silently wrong data (journal: JournalDamageTest). */
class CorruptionTest {
    @TempDir
    Path dir;

    private static void flip(Path file, long pos) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(pos);
            int b = f.read();
            f.seek(pos);
            f.write(b ^ 0x5a);
        }
    }

    private static long generation(Path data, int slot) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "r")) {
            byte[] b = new byte[Superblock.SLOT_SIZE];
            f.seek((long) slot * Superblock.SLOT_SIZE);
            f.readFully(b);
            Superblock s = Superblock.decode(ByteBuffer.wrap(b));
            return s == null ? -1 : s.generation();
        }
    }

    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 65536})
    void damagedNewestSuperblockFallsBackToTheOtherSlotWithDataIntact(int seg) throws IOException {
        Path p = dir.resolve("p");
        byte[] data = TestPools.filled(5 * seg + 100, 7);
        try (Pool pool = TestPools.create(p, 8L << 20, seg, TestPools.fastOptions())) {
            pool.vdisks().create("v", 2L << 20);
            TestPools.write(pool.vdisks().get("v"), 1000, data);
        }
        Path file = p.resolve("pool.data");
        long g0 = generation(file, 0);
        long g1 = generation(file, 1);
        int newest = g0 > g1 ? 0 : 1;
        flip(file, (long) newest * Superblock.SLOT_SIZE + 60);
        assertEquals(-1, generation(file, newest), "the flipped slot must fail its CRC");
        try (Pool pool = Pool.open(p, TestPools.fastOptions())) {
            assertTrue(pool.info().generation() > Math.min(g0, g1), "opened from the older slot, then checkpointed");
            assertArrayEquals(data, TestPools.read(pool.vdisks().get("v"), 1000, data.length));
            assertTrue(pool.check().clean());
        }
    }

    @Test
    void bothSuperblocksDamagedIsReportedAsCorrupt() throws IOException {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 1L << 20, 4096, TestPools.fastOptions())) {
            pool.vdisks().create("v", 1L << 20);
        }
        flip(p.resolve("pool.data"), 10);
        flip(p.resolve("pool.data"), Superblock.SLOT_SIZE + 10);
        CorruptMetadataException e = assertThrows(CorruptMetadataException.class, () -> Pool.open(p));
        assertTrue(e.getMessage().contains("no valid superblock"), e.getMessage());
        assertEquals(Reason.CORRUPT, e.reason());
    }

    @Test
    void corruptIndirectBlockIsReportedNamingTheBlock() throws IOException {
        Path p = dir.resolve("p");
        int seg = 4096;
        long rootVbn;
        try (Pool pool = TestPools.create(p, 8L << 20, seg, TestPools.fastOptions())) {
            pool.vdisks().create("v", 4L << 20); // two levels at 4 KiB segments
            Vdisk v = pool.vdisks().get("v");
            for (int i = 0; i < 20; i++) {
                TestPools.write(v, (long) i * 200_000 / 4096 * 4096, TestPools.filled(seg, i));
            }
            pool.drain();
            rootVbn = v.map().tree().root().vbn();
            assertNotEquals(0, rootVbn);
        }
        Path data = p.resolve("pool.data");
        flip(data, rootVbn * seg + 17);
        CorruptMetadataException e = assertThrows(CorruptMetadataException.class, () -> Pool.open(p));
        assertTrue(e.getMessage().contains("VBN " + rootVbn), e.getMessage());
        assertTrue(e.getMessage().contains("vdisk v"), e.getMessage());
    }

    @Test
    void checkFindsAnIndirectBlockDamagedWhileOpen() throws IOException {
        Path p = dir.resolve("p");
        int seg = 4096;
        try (Pool pool = TestPools.create(p, 8L << 20, seg, TestPools.quietOptions())) {
            pool.vdisks().create("v", 4L << 20);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, TestPools.filled(seg, 1));
            pool.drain();
            long leaf = v.map().tree().child(v.map().tree().root(), 0).vbn();
            assertTrue(pool.check().clean());
            ByteBuffer one = ByteBuffer.allocateDirect(1).order(ByteOrder.LITTLE_ENDIAN);
            one.put((byte) 0x77).flip();
            pool.data().writeFully(one, leaf * seg + 3);
            var report = pool.check();
            assertFalse(report.clean());
            assertEquals(leaf, report.problems().get(0).vbn(), report.problems().toString());
        }
    }
}
