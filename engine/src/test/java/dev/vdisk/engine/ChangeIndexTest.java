package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.format.Catalog;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.ChangeIndexSegment;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Change indexes in their own segments (pool format 3): a consistency point writes only the ranges whose pages
 * changed and only the catalog's changed head; the indexes survive a reopen; a format-2 pool (indexes inline in the
 * catalog) opens and its first point moves them out.
 */
class ChangeIndexTest {
    private static final int SEG = 4096;
    /** Segments one change-index segment covers at 4 KiB segments (7 pages of 4096). */
    private static final long RANGE = (long) ChangeIndexSegment.pagesPerSegment(SEG) * ChangeSet.PAGE_BITS;

    @TempDir
    Path dir;

    private static void writeSegment(Vdisk v, long seg, int seed) {
        TestPools.write(v, seg * SEG, TestPools.filled(SEG, seed));
    }

    @Test
    void aPointWritesOnlyTheRangesThatChanged() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 16L << 20, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 30);
            Vdisk v = pool.vdisks().get("v");
            for (int r = 0; r < 8; r++) {
                writeSegment(v, r * RANGE + 5, r + 1);
            }
            pool.drain();
            assertEquals(8, pool.lastPointWritten().changeIndexSegments(), "one segment per range written");
            writeSegment(v, 3 * RANGE + 9, 20);
            pool.drain();
            assertEquals(1, pool.lastPointWritten().changeIndexSegments(), "only range 3 changed");
            writeSegment(v, 3 * RANGE + 9, 21); // the bit is set already
            pool.drain();
            assertEquals(0, pool.lastPointWritten().changeIndexSegments(), "no new change bit, no index write");
            pool.snapshots().take("v", "s0"); // the current set restarts empty: its 8 ranges are dropped, none written
            assertEquals(0, pool.lastPointWritten().changeIndexSegments());
            writeSegment(v, 2 * RANGE + 1, 22);
            pool.snapshots().take("v", "s1"); // range 2 of s0's index (its first), nothing of the vdisk's
            assertEquals(1, pool.lastPointWritten().changeIndexSegments());
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    @Test
    void aPointWithManySnapshotsRewritesOnlyTheCatalogsHead() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 16L << 20, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 30);
            Vdisk v = pool.vdisks().get("v");
            for (int i = 0; i < 120; i++) {
                writeSegment(v, (i % 8) * RANGE + i, i + 1);
                pool.snapshots().take("v", "s" + i);
            }
            writeSegment(v, 7, 500);
            pool.drain();
            ConsistencyPoints.Written w = pool.lastPointWritten();
            assertEquals(1, w.catalogSegments(), "the vdisk's entry sits in the head segment: " + w);
            assertTrue(w.catalogSegmentsKept() >= 2, "120 snapshots' entries kept in place: " + w);
            assertTrue(pool.check().clean());
        }
        try (Pool pool = Pool.open(dir.resolve("p"), TestPools.quietOptions())) {
            assertTrue(pool.check().clean(), "the reused tail reads back");
            assertEquals(120, pool.snapshots().of("v").size());
        }
    }

    @Test
    void indexesSurviveReopenAndDeletion() {
        Path p = dir.resolve("p");
        List<Extent> before;
        try (Pool pool = TestPools.create(p, 16L << 20, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 30);
            Vdisk v = pool.vdisks().get("v");
            writeSegment(v, 1, 1);
            pool.snapshots().take("v", "L");
            writeSegment(v, 2 * RANGE + 1, 2);
            writeSegment(v, 6 * RANGE, 3);
            pool.snapshots().take("v", "M");
            writeSegment(v, 4 * RANGE + 7, 4);
            pool.snapshots().take("v", "N");
            pool.vdisks().delete("M"); // M's index merges into L's
            before = DeltaTest.collect(pool.extents().delta("L", "N", 0));
            assertEquals(3, before.size(), "three changed segments: " + before);
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertEquals(before, DeltaTest.collect(pool.extents().delta("L", "N", 0)));
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
            pool.vdisks().delete("L");
            pool.vdisks().delete("N");
            pool.vdisks().delete("v");
            assertTrue(pool.check().clean(), "every index segment released");
        }
    }

    /** Rewrites the newest point of the closed pool at {@code p} as format 2 would: indexes inline in the catalog. */
    private static void downgradeToFormatTwo(Path p) {
        try (DataSpace data = new DataSpace(p.resolve(PoolFiles.DATA))) {
            Superblock sb = null;
            for (int slot = 0; slot < 2; slot++) {
                ByteBuffer b = ByteBuffer.allocateDirect(Superblock.SLOT_SIZE);
                data.readFully(b, (long) slot * Superblock.SLOT_SIZE);
                Superblock s = Superblock.decode(b.flip());
                if (s != null && (sb == null || s.generation() > sb.generation())) {
                    sb = s;
                }
            }
            assertNotNull(sb);
            ByteBuffer seg = ByteBuffer.allocateDirect(SEG);
            byte[] payload = new byte[sb.catalogLength()];
            long vbn = sb.catalogVbn();
            int crc = sb.catalogCrc();
            int at = 0;
            while (vbn != 0) {
                data.readFully(seg.clear(), vbn * SEG);
                Catalog.Segment s = Catalog.decodeSegment(seg, vbn, crc, payload, at);
                at += s.length();
                vbn = s.nextVbn();
                crc = s.nextCrc();
            }
            List<CatalogEntry> old = new ArrayList<>();
            for (CatalogEntry e : Catalog.decodePayload(payload)) {
                ChangeSet cs = new ChangeSet();
                for (ChangeIndexSegment.Ref r :
                        ChangeIndexSegment.decodeRefs(e.extensions().get(ChangeIndexSegment.REFS_TAG), e.name())) {
                    data.readFully(seg.clear(), r.vbn() * SEG);
                    cs.loadPages(ChangeIndexSegment.decode(seg, r.vbn(), r, e.id(), e.name()));
                }
                Map<Integer, byte[]> ext = new HashMap<>(e.extensions());
                ext.remove(ChangeIndexSegment.REFS_TAG);
                if (!cs.isEmpty()) {
                    ext.put(ChangeSet.TAG, cs.encode());
                }
                old.add(new CatalogEntry(
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
                        ext));
            }
            byte[] v1 = Catalog.encodePayload(old);
            ByteBuffer.wrap(v1).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1);
            assertEquals(1, Catalog.segmentsFor(v1.length, SEG), "the test's catalog fits one segment");
            long target = sb.segmentCount() - 1; // far above what the small history allocated
            int newCrc = Catalog.encodeSegment(seg, v1, 0, v1.length, 0, 0);
            data.writeFully(seg.clear(), target * SEG);
            Superblock two = new Superblock(
                    2,
                    sb.blockSize(),
                    sb.segmentSize(),
                    sb.segmentCount(),
                    sb.uuid(),
                    sb.generation() + 1,
                    target,
                    newCrc,
                    v1.length,
                    sb.replaySeq(),
                    sb.nextVdiskId());
            data.writeFully(two.encode(), (long) two.slot() * Superblock.SLOT_SIZE);
            data.force();
        }
    }

    @Test
    void aFormatTwoPoolOpensAndItsFirstPointMovesTheIndexesOut() {
        Path p = dir.resolve("p");
        List<Extent> expected;
        try (Pool pool = TestPools.create(p, 16L << 20, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 30);
            Vdisk v = pool.vdisks().get("v");
            writeSegment(v, 1, 1);
            pool.snapshots().take("v", "L");
            writeSegment(v, 2 * RANGE + 1, 2);
            writeSegment(v, 5 * RANGE + 3, 3);
            pool.snapshots().take("v", "M");
            writeSegment(v, 3, 4); // the vdisk's current set, inline too
            expected = DeltaTest.collect(pool.extents().delta("L", "M", 0));
            assertEquals(2, expected.size());
        }
        downgradeToFormatTwo(p);
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertEquals(Superblock.VERSION, pool.info().formatVersion(), "open's point wrote format 3");
            assertEquals(expected, DeltaTest.collect(pool.extents().delta("L", "M", 0)));
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
            Vdisk v = pool.vdisks().get("v");
            writeSegment(v, 4 * RANGE, 5);
            pool.snapshots().take("v", "N");
            assertEquals(2, DeltaTest.collect(pool.extents().delta("M", "N", 0)).size(), "the current set came across");
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertEquals(expected, DeltaTest.collect(pool.extents().delta("L", "M", 0)));
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }
}
