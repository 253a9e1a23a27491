package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.Reason;
import dev.vdisk.engine.format.Catalog;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metadata with valid checksums but impossible numbers (crafted here, checksums recomputed): open names the field,
 * its value and the limit as corrupt metadata, and allocates nothing on the bad number's word.
 */
class CraftedMetadataTest {
    private static final int SEG = 4096;

    @TempDir
    Path dir;

    private Path pool;
    private Path data;

    @BeforeEach
    void createPool() {
        pool = dir.resolve("p");
        data = pool.resolve("pool.data");
        try (Pool p = TestPools.create(pool, 4L << 20, SEG, TestPools.quietOptions())) {
            p.vdisks().create("v", 1L << 20);
            TestPools.write(p.vdisks().get("v"), 0, TestPools.filled(SEG, 1));
        }
    }

    private Superblock newest() {
        try (DataSpace ds = new DataSpace(data)) {
            return PoolOpener.newestSuperblock(ds, data);
        }
    }

    /** Rewrites the newest superblock slot as {@code change} says; its CRC is recomputed by encode. */
    private void craftSuperblock(UnaryOperator<Superblock> change) {
        Superblock s = change.apply(newest());
        try (DataSpace ds = new DataSpace(data)) {
            ds.writeFully(s.encode(), (long) s.slot() * Superblock.SLOT_SIZE);
        }
    }

    private static Superblock with(
            Superblock s, int segmentSize, long segmentCount, int catalogCrc, int catalogLength) {
        return new Superblock(
                s.version(),
                s.blockSize(),
                segmentSize,
                segmentCount,
                s.uuid(),
                s.generation(),
                s.catalogVbn(),
                catalogCrc,
                catalogLength,
                s.replaySeq(),
                s.nextVdiskId());
    }

    /** Replaces the (one-segment) catalog payload, recomputing the segment's and the superblock's CRCs. */
    private void craftCatalog(byte[] payload) {
        Superblock s = newest();
        ByteBuffer seg = ByteBuffer.allocateDirect(SEG);
        int crc = Catalog.encodeSegment(seg, payload, 0, payload.length, 0, 0);
        try (DataSpace ds = new DataSpace(data)) {
            ds.writeFully(seg.clear(), s.catalogVbn() * SEG);
        }
        craftSuperblock(x -> with(x, x.segmentSize(), x.segmentCount(), crc, payload.length));
    }

    private List<CatalogEntry> entries() {
        Superblock s = newest();
        ByteBuffer seg = ByteBuffer.allocateDirect(SEG);
        byte[] payload = new byte[s.catalogLength()];
        try (DataSpace ds = new DataSpace(data)) {
            ds.readFully(seg, s.catalogVbn() * SEG);
        }
        Catalog.decodeSegment(seg, s.catalogVbn(), s.catalogCrc(), payload, 0);
        return Catalog.decodePayload(payload);
    }

    private void refused(String... fragments) {
        CorruptMetadataException e =
                assertThrows(CorruptMetadataException.class, () -> Pool.open(pool, TestPools.quietOptions()));
        assertEquals(Reason.CORRUPT, e.reason());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing in: " + e.getMessage());
        }
    }

    @Test
    void aCatalogLengthOfTwoToTheThirtyOneIsRefusedBeforeAllocating() {
        craftSuperblock(s -> with(s, s.segmentSize(), s.segmentCount(), s.catalogCrc(), Integer.MAX_VALUE));
        refused("catalog length 2147483647 is impossible", "must be from 0 to");
    }

    @Test
    void aSegmentCountOfTwoToTheSixtyTwoIsRefused() {
        craftSuperblock(s -> with(s, s.segmentSize(), 1L << 62, s.catalogCrc(), s.catalogLength()));
        refused("segment count 4611686018427387904 is impossible", "at most 2147483647");
    }

    @Test
    void aSegmentSizeOfThreeIsRefused() {
        craftSuperblock(s -> with(s, 3, s.segmentCount(), s.catalogCrc(), s.catalogLength()));
        refused("segment size 3 is impossible", "power of two from 4096");
    }

    @Test
    void aTruncatedDataFileIsRefusedAsTruncatedNotAsABadChecksum() throws IOException {
        long size = Files.size(data);
        try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
            f.setLength(size / 2);
        }
        refused("pool.data holds " + size / 2 + " bytes", "the file was truncated");
    }

    @Test
    void aCatalogEntryCountOfTwoToTheThirtyOneIsRefusedBeforeAllocating() {
        byte[] payload = Catalog.encodePayload(entries());
        ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).putInt(4, Integer.MAX_VALUE);
        craftCatalog(payload);
        refused("catalog entry count 2147483647 is impossible");
    }

    @Test
    void anExtensionLengthOfTwoToTheThirtyOneIsRefusedBeforeAllocating() {
        List<CatalogEntry> es = new ArrayList<>(entries());
        CatalogEntry e = es.getFirst();
        es.set(
                0,
                new CatalogEntry(
                        e.id(),
                        e.name(),
                        e.kind(),
                        e.hidden(),
                        e.size(),
                        e.rootWord0(),
                        e.rootWord1(),
                        e.height(),
                        e.ownerId(),
                        e.backingId(),
                        e.epoch(),
                        e.createdMillis(),
                        Map.of(9, new byte[8])));
        byte[] payload = Catalog.encodePayload(es);
        int name = e.name().length();
        int extLength = 8 + 8 + 1 + 1 + 2 + name + 8 * 3 + 1 + 8 * 4 + 2 + 2; // after the tag of the only extension
        ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).putInt(extLength, Integer.MAX_VALUE);
        craftCatalog(payload);
        refused("catalog entry " + e.id() + " extension 9 length 2147483647 is impossible");
    }

    @Test
    void anImpossibleTreeHeightIsRefused() {
        List<CatalogEntry> es = new ArrayList<>(entries());
        CatalogEntry e = es.getFirst();
        es.set(
                0,
                new CatalogEntry(
                        e.id(),
                        e.name(),
                        e.kind(),
                        e.hidden(),
                        e.size(),
                        e.rootWord0(),
                        e.rootWord1(),
                        100,
                        e.ownerId(),
                        e.backingId(),
                        e.epoch(),
                        e.createdMillis(),
                        e.extensions()));
        craftCatalog(Catalog.encodePayload(es));
        refused("catalog entry " + e.id() + " (v): tree height 100 is impossible");
    }
}
