package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which writes go straight to the data space: a segment written, destaged and captured by a completed consistency
 * point does; a hole, a clone's hole, a segment with a live changes-table entry, one written or discarded since the
 * last point, and a segment shared with a snapshot (or the first write after one) do not. Reads see both kinds.
 */
class InPlaceWriteTest {
    private static final int SEG = 16384;

    @TempDir
    Path dir;

    @Test
    void writtenAndCheckpointedSegmentsAreWrittenInPlaceAndNothingElse() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.create("v", 8L * SEG);
            Vdisk v = pool.vdisk("v");
            TestPools.write(v, 0, TestPools.filled(SEG, 1)); // a hole: through the journal
            assertEquals(0, v.inPlaceWrites(), "a write to a hole went in place");
            TestPools.write(v, 100, TestPools.filled(50, 2)); // live entry (destage delay, no point yet)
            assertEquals(0, v.inPlaceWrites(), "a write to a segment with a live entry went in place");
            pool.drain(); // destaged, then a point: segment 0 is no longer touched
            byte[] a = TestPools.filled(4096 + 100, 3);
            TestPools.write(v, 300, a);
            assertEquals(1, v.inPlaceWrites(), "a written and checkpointed segment was not written in place");
            assertArrayEquals(a, TestPools.read(v, 300, a.length));
            TestPools.write(v, SEG, TestPools.filled(100, 4)); // segment 1: a hole
            assertEquals(1, v.inPlaceWrites());

            // a discard marks the segment: the next write goes through the journal until a point covers it
            v.discard(0, 4096);
            TestPools.write(v, 8192, TestPools.filled(4096, 5));
            assertEquals(1, v.inPlaceWrites(), "a write after a discard went in place before a point");
            pool.drain();
            TestPools.write(v, 8192, TestPools.filled(4096, 6));
            assertEquals(2, v.inPlaceWrites());
            assertArrayEquals(new byte[4096], TestPools.read(v, 0, 4096), "discarded block");

            // a snapshot shares the segment and clears its change bit: the first write after it copies on write
            pool.snapshot("v", "s");
            byte[] b = TestPools.filled(4096, 7);
            TestPools.write(v, 8192, b);
            assertEquals(2, v.inPlaceWrites(), "a write to a segment shared with a snapshot went in place");
            pool.drain();
            TestPools.write(v, 8192, TestPools.filled(4096, 8));
            assertEquals(3, v.inPlaceWrites(), "the copied segment, checkpointed, is exclusive again");
            assertArrayEquals(TestPools.filled(4096, 6), TestPools.read(pool.snapshotReader("s"), 8192, 4096),
                    "the snapshot kept its content");

            // a clone's holes read the snapshot: written through the journal, then in place once checkpointed
            pool.clone("s", "c");
            Vdisk c = pool.vdisk("c");
            TestPools.write(c, 0, TestPools.filled(4096, 9));
            assertEquals(0, c.inPlaceWrites(), "a write to a clone's hole went in place");
            pool.drain();
            byte[] d = TestPools.filled(4096, 10);
            TestPools.write(c, 4096, d);
            assertEquals(1, c.inPlaceWrites());
            assertArrayEquals(d, TestPools.read(c, 4096, 4096));
            assertArrayEquals(TestPools.filled(4096, 9), TestPools.read(c, 0, 4096));
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    @Test
    void inPlaceWritesSurviveAReopenAfterAFlushAndTheDeltaSeesThem() {
        Path p = dir.resolve("p");
        byte[] a = TestPools.filled(SEG, 11);
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.create("v", 4L * SEG);
            Vdisk v = pool.vdisk("v");
            TestPools.write(v, 0, TestPools.filled(SEG, 12));
            pool.drain();
            TestPools.write(v, 0, a);
            assertEquals(1, v.inPlaceWrites());
            v.flush();
            pool.abandonForTesting(); // a crash after the flush: no closing point
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertArrayEquals(a, TestPools.read(pool.vdisk("v"), 0, SEG));
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    /**
     * A point whose replay position an older live entry (segment 0) holds back does not clear segment 1, destaged
     * before the point: replay would apply segment 1's record again, over an in-place write made after the point.
     */
    @Test
    void aSegmentDestagedBeforeAPointWithALaggingReplayPositionStaysOnTheJournal() {
        Path p = dir.resolve("p");
        byte[] mine = TestPools.filled(4096, 23);
        long inPlace;
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.create("v", 4L * SEG);
            Vdisk v = pool.vdisk("v");
            pool.destageLock().lock(); // the destager waits: we choose what is destaged before the point
            try {
                TestPools.write(v, 0, TestPools.filled(4096, 21)); // segment 0: the older record, stays queued
                TestPools.write(v, SEG, TestPools.filled(4096, 22)); // segment 1: destaged before the point
                v.destage(v.table.get(1L), ByteBuffer.allocateDirect(SEG));
                pool.checkpoint(); // replay position: segment 0's record, older than segment 1's
                TestPools.write(v, SEG, mine);
                inPlace = v.inPlaceWrites();
                v.flush();
            } finally {
                pool.destageLock().unlock();
            }
            pool.abandonForTesting(); // a crash after the flush, before another point
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertArrayEquals(mine, TestPools.read(pool.vdisk("v"), SEG, 4096), "replay undid a flushed write");
        }
        assertEquals(0, inPlace, "segment 1's record is still replayable, yet it went in place");
    }

    @Test
    void aGenerationOutlivesPointsWhoseReplayPositionLagsBehindIt() {
        TouchedSegments t = new TouchedSegments();
        t.mark(5);
        t.close();
        t.seal(10); // records of segment 5 are older than 10
        t.mark(6);
        assertTrue(t.has(5) && t.has(6));
        t.retire(9); // a point whose replay position was held back by another segment's entry
        assertTrue(t.has(5), "retired a generation whose records replay may still apply");
        t.close();
        t.seal(12);
        t.retire(10);
        assertFalse(t.has(5));
        assertTrue(t.has(6));
        t.retire(12);
        assertFalse(t.has(6));
        t.close(); // nothing to close
        t.seal(20);
        t.mark(7);
        t.retire(20);
        assertTrue(t.has(7), "a mark after the last close was retired");
        t.mark(1L << 40);
        assertTrue(t.has(1L << 40));
        assertFalse(t.has((1L << 40) + 1));
    }
}
