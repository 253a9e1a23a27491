package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.PoolClosedException;
import dev.vdisk.engine.error.PoolLockedException;
import dev.vdisk.engine.error.Reason;
import dev.vdisk.engine.error.ShrinkNotSupportedException;
import dev.vdisk.engine.error.UnsupportedFormatException;
import dev.vdisk.engine.error.VdiskExistsException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import dev.vdisk.engine.format.Superblock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pool and vdisk management through the public API, on tiny pools. */
class PoolTest {
    @TempDir
    Path dir;

    @Test
    void newVdiskOfAnySizeAllocatesNothingAndReadsZeros() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 1L << 20, 4096, TestPools.fastOptions())) {
            long used = pool.info().usedBytes();
            VdiskInfo v = pool.vdisks().create("huge", 1L << 40); // a 1 TiB vdisk in a 1 MiB pool
            assertEquals(1L << 40, v.sizeBytes());
            assertEquals(0, v.allocatedBytes());
            assertEquals(used, pool.info().usedBytes(), "only the catalog moved");
            assertArrayEquals(new byte[8192], TestPools.read(pool.vdisks().get("huge"), (1L << 40) - 8192, 8192));
            assertEquals(
                    0, pool.vdisks().get("huge").read(1L << 40, ByteBuffer.allocate(10)), "read at the end returns 0");
        }
    }

    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 65536})
    void discardOfWholeSegmentsFreesTheirSpace(int seg) {
        try (Pool pool = TestPools.create(dir.resolve("p"), 256L * seg, seg, TestPools.fastOptions())) {
            pool.vdisks().create("v", 64L * seg);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, TestPools.filled(32 * seg, 3));
            pool.drain();
            long used = pool.info().usedBytes();
            assertEquals(32L * seg, pool.vdisks().list().get(0).allocatedBytes());
            v.discard(seg, 30L * seg + 100); // segments 1..30 whole, 100 bytes of segment 31
            pool.drain();
            pool.checkpoint();
            pool.checkpoint();
            assertEquals(2L * seg, pool.vdisks().list().get(0).allocatedBytes());
            assertTrue(
                    pool.info().usedBytes() <= used - 30L * seg,
                    "used " + pool.info().usedBytes() + " was " + used);
            byte[] expected = TestPools.filled(32 * seg, 3);
            Arrays.fill(expected, seg, 31 * seg + 100, (byte) 0);
            assertArrayEquals(expected, TestPools.read(v, 0, 32 * seg));
            assertTrue(pool.check().clean());
        }
    }

    @Test
    void growAcrossTreeHeightsKeepsDataAndShrinkIsRefused() {
        int seg = 4096; // 256 entries per block: 1 MiB per level-1 block
        try (Pool pool = TestPools.create(dir.resolve("p"), 8L << 20, seg, TestPools.fastOptions())) {
            pool.vdisks().create("v", 512L << 10);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 4096, TestPools.filled(8192, 1));
            pool.drain();
            assertEquals(1, v.map().tree().height());
            pool.vdisks().resize("v", 300L << 20); // 3 levels
            assertEquals(3, v.map().tree().height());
            assertEquals(300L << 20, v.size());
            TestPools.write(v, 299L << 20, TestPools.filled(4096, 2));
            assertArrayEquals(TestPools.filled(8192, 1), TestPools.read(v, 4096, 8192));
            assertArrayEquals(TestPools.filled(4096, 2), TestPools.read(v, 299L << 20, 4096));
            ShrinkNotSupportedException e = assertThrows(
                    ShrinkNotSupportedException.class, () -> pool.vdisks().resize("v", 1L << 20));
            assertEquals(Reason.FAILED_PRECONDITION, e.reason());
            assertTrue(e.getMessage().contains("only grow"), e.getMessage());
            assertTrue(pool.check().clean());
        }
        try (Pool pool = Pool.open(dir.resolve("p"), TestPools.fastOptions())) {
            Vdisk v = pool.vdisks().get("v");
            assertArrayEquals(TestPools.filled(8192, 1), TestPools.read(v, 4096, 8192));
            assertArrayEquals(TestPools.filled(4096, 2), TestPools.read(v, 299L << 20, 4096));
            assertTrue(pool.check().clean());
        }
    }

    @Test
    void errorsCarryReasonsAndSayWhatToDo() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 1L << 20, 4096, TestPools.fastOptions())) {
            pool.vdisks().create("v", 1L << 20);
            assertEquals(
                    Reason.ALREADY_EXISTS,
                    assertThrows(VdiskExistsException.class, () -> pool.vdisks().create("v", 4096))
                            .reason());
            assertEquals(
                    Reason.NOT_FOUND,
                    assertThrows(VdiskNotFoundException.class, () -> pool.vdisks()
                                    .get("w"))
                            .reason());
            assertEquals(
                    Reason.NOT_FOUND,
                    assertThrows(VdiskNotFoundException.class, () -> pool.vdisks()
                                    .delete("w"))
                            .reason());
            assertEquals(
                    Reason.INVALID_ARGUMENT,
                    assertThrows(InvalidRangeException.class, () -> pool.vdisks()
                                    .create("x", 1000))
                            .reason());
            assertThrows(InvalidRangeException.class, () -> pool.vdisks().create("bad/name", 4096));
            Vdisk v = pool.vdisks().get("v");
            InvalidRangeException r = assertThrows(
                    InvalidRangeException.class, () -> v.write((1L << 20) - 10, ByteBuffer.allocateDirect(4096)));
            assertTrue(r.getMessage().contains("outside vdisk v"), r.getMessage());
            assertThrows(InvalidRangeException.class, () -> v.discard(-1, 10));
            assertEquals(
                    Reason.FAILED_PRECONDITION,
                    assertThrows(PoolLockedException.class, () -> Pool.open(dir.resolve("p")))
                            .reason());
            pool.vdisks().delete("v");
            assertThrows(VdiskNotFoundException.class, () -> v.write(0, ByteBuffer.allocateDirect(4096)));
        }
        Pool closed = Pool.open(dir.resolve("p"));
        closed.close();
        assertEquals(
                Reason.FAILED_PRECONDITION,
                assertThrows(PoolClosedException.class, () -> closed.vdisks().list())
                        .reason());
    }

    @Test
    void nameClashAndNotFoundMessagesNameNoHostPath() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 1L << 20, 4096, TestPools.fastOptions())) {
            pool.vdisks().create("v", 1L << 20);
            pool.snapshots().take("v", "s");
            // these reach CSI users (CreateSnapshot, CreateVolume, DeleteVolume): the pool's directory is the node's
            for (EngineException e : List.of(
                    assertThrows(
                            VdiskExistsException.class, () -> pool.snapshots().take("v", "s")),
                    assertThrows(VdiskExistsException.class, () -> pool.vdisks().create("s", 4096)),
                    assertThrows(
                            VdiskNotFoundException.class, () -> pool.vdisks().get("w")),
                    assertThrows(
                            VdiskNotFoundException.class, () -> pool.vdisks().delete("w")),
                    assertThrows(
                            VdiskNotFoundException.class, () -> pool.snapshots().clone("nope", "c")))) {
                assertFalse(e.getMessage().contains(dir.toString()), e.getMessage());
            }
            assertEquals(
                    "snapshot s already exists in the pool; pick another name or delete it first",
                    assertThrows(VdiskExistsException.class, () -> pool.snapshots()
                                    .take("v", "s"))
                            .getMessage());
        }
    }

    @Test
    void newerFormatIsRefusedWithActualAndSupportedVersions() throws IOException {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 1L << 20, 4096, TestPools.fastOptions())) {
            pool.vdisks().create("v", 4096);
        }
        try (RandomAccessFile f = new RandomAccessFile(p.resolve("pool.data").toFile(), "rw")) {
            for (int slot = 0; slot < 2; slot++) {
                byte[] b = new byte[Superblock.SLOT_SIZE];
                f.seek((long) slot * Superblock.SLOT_SIZE);
                f.readFully(b);
                ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                bb.putInt(8, 7);
                CRC32C c = new CRC32C();
                c.update(b, 0, Superblock.SLOT_SIZE - 4);
                bb.putInt(Superblock.SLOT_SIZE - 4, (int) c.getValue());
                f.seek((long) slot * Superblock.SLOT_SIZE);
                f.write(b);
            }
        }
        UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class, () -> Pool.open(p));
        assertTrue(
                e.getMessage().contains("version 7")
                        && e.getMessage().contains("supports " + Superblock.MIN_VERSION + ".." + Superblock.VERSION),
                e.getMessage());
        assertEquals(Reason.UNSUPPORTED, e.reason());
    }
}
