package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.map.MapTree;
import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitPhase;
import dev.vdisk.engine.split.SplitProgress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
    void aSegmentWrittenAnywhereGoesInPlaceAfterOnePoint() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 8L * SEG);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, TestPools.filled(SEG, 1));
            assertEquals(1, v.parts().pointers().writes(), "a whole segment to a hole did not write anywhere");
            TestPools.write(v, 4096, TestPools.filled(4096, 2));
            assertEquals(0, v.inPlaceWrites(), "a segment whose pointer is replayable went in place");
            pool.drain(); // destaged (copy on write: the pointer still names the segment), then a point
            byte[] a = TestPools.filled(4096, 3);
            TestPools.write(v, 8192, a);
            assertEquals(1, v.inPlaceWrites(), "an owned, checkpointed segment was not written in place");
            TestPools.write(v, 5L * SEG, TestPools.filled(SEG, 4));
            pool.checkpoint(); // no entry: the point alone retires the pointer's segment from the touched set
            TestPools.write(v, 5L * SEG + 100, a);
            assertEquals(2, v.inPlaceWrites(), "a segment written anywhere and checkpointed was not written in place");
            byte[] want = TestPools.filled(SEG, 4);
            System.arraycopy(a, 0, want, 100, a.length);
            assertArrayEquals(want, TestPools.read(v, 5L * SEG, SEG));
            assertArrayEquals(a, TestPools.read(v, 8192, a.length));
            assertTrue(pool.check().clean());
        }
    }

    @Test
    void writtenAndCheckpointedSegmentsAreWrittenInPlaceAndNothingElse() {
        try (Pool pool = TestPools.create(dir.resolve("p"), 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 8L * SEG);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, TestPools.filled(SEG, 1)); // a hole, whole: a new segment, a pointer journalled
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
            pool.snapshots().take("v", "s");
            byte[] b = TestPools.filled(4096, 7);
            TestPools.write(v, 8192, b);
            assertEquals(2, v.inPlaceWrites(), "a write to a segment shared with a snapshot went in place");
            pool.drain();
            TestPools.write(v, 8192, TestPools.filled(4096, 8));
            assertEquals(3, v.inPlaceWrites(), "the copied segment, checkpointed, is exclusive again");
            assertArrayEquals(
                    TestPools.filled(4096, 6),
                    TestPools.read(pool.snapshots().reader("s"), 8192, 4096),
                    "the snapshot kept its content");

            // a clone's holes read the snapshot: written through the journal, then in place once checkpointed
            pool.snapshots().clone("s", "c");
            Vdisk c = pool.vdisks().get("c");
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
            pool.vdisks().create("v", 4L * SEG);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, TestPools.filled(SEG, 12));
            pool.drain();
            TestPools.write(v, 0, a);
            assertEquals(1, v.inPlaceWrites());
            v.flush();
            pool.abandonForTesting(); // a crash after the flush: no closing point
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertArrayEquals(a, TestPools.read(pool.vdisks().get("v"), 0, SEG));
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
            pool.vdisks().create("v", 4L * SEG);
            Vdisk v = pool.vdisks().get("v");
            pool.destageLock().lock(); // the destager waits: we choose what is destaged before the point
            try {
                TestPools.write(v, 0, TestPools.filled(4096, 21)); // segment 0: the older record, stays queued
                TestPools.write(v, SEG, TestPools.filled(4096, 22)); // segment 1: destaged before the point
                v.parts().destage().destage(v.parts().table().get(1L), ByteBuffer.allocateDirect(SEG), true);
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
            assertArrayEquals(mine, TestPools.read(pool.vdisks().get("v"), SEG, 4096), "replay undid a flushed write");
        }
        assertEquals(0, inPlace, "segment 1's record is still replayable, yet it went in place");
    }

    /**
     * Threads that own disjoint byte ranges inside shared segments write whole and partial blocks while consistency
     * points run every few milliseconds and a snapshot is taken now and then, so the same segments switch between
     * in-place and journal writes under load: every byte must end as its owner last wrote it (reads during the run
     * included), before and after a crash right after a flush, with a clean check.
     */
    @Test
    void concurrentInPlaceAndJournalWritesToSharedSegmentsKeepEveryByte() throws Exception {
        int threads = 4;
        int slice = 1536; // each thread's bytes in every 6 KiB: owners share blocks and segments
        int size = 8 * SEG;
        Path p = dir.resolve("p");
        byte[][] model = new byte[threads][size];
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicInteger snapshots = new AtomicInteger();
        LongAdder pieces = new LongAdder(); // per segment
        long inPlace;
        try (Pool pool = TestPools.create(p, 256L * SEG, SEG, TestPools.fastOptions())) {
            pool.vdisks().create("v", size);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, new byte[size]);
            pool.drain();
            Thread points = Thread.ofPlatform().start(() -> {
                int k = 0;
                while (!stop.get()) {
                    try {
                        if (++k % 4 == 0) {
                            pool.snapshots().take("v", "s" + k);
                            pool.vdisks().delete("s" + k);
                            snapshots.incrementAndGet();
                        } else {
                            pool.checkpoint();
                        }
                        Thread.sleep(2);
                    } catch (Throwable t) {
                        errors.add(t);
                        return;
                    }
                }
            });
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        Random rnd = new Random(me);
                        ByteBuffer buf = ByteBuffer.allocateDirect(slice);
                        for (int i = 0; i < 3000 || snapshots.get() < 6; i++) {
                            int chunk = rnd.nextInt(size / (threads * slice));
                            int at = chunk * threads * slice + me * slice;
                            int from = rnd.nextInt(2) == 0 ? 0 : rnd.nextInt(slice);
                            int len = 1 + rnd.nextInt(slice - from);
                            buf.clear().limit(len);
                            for (int k = 0; k < len; k++) {
                                byte x = (byte) rnd.nextInt();
                                buf.put(k, x);
                                model[me][at + from + k] = x;
                            }
                            v.write(at + from, buf);
                            pieces.add((at + from + len - 1) / SEG - (at + from) / SEG + 1);
                            if (i % 50 == 0) {
                                ByteBuffer r = ByteBuffer.allocateDirect(slice);
                                v.read(at, r);
                                for (int k = 0; k < slice; k++) {
                                    if (r.get(k) != model[me][at + k]) {
                                        throw new AssertionError("thread " + me + " reads byte " + (at + k) + " wrong");
                                    }
                                }
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            for (Thread w : writers) {
                w.join();
            }
            stop.set(true);
            points.join();
            assertTrue(errors.isEmpty(), () -> errors.toString());
            inPlace = v.inPlaceWrites();
            long all = inPlace;
            assertTrue(inPlace > 0 && inPlace < pieces.sum(), () -> all + " of " + pieces.sum() + " writes in place");
            assertModel(v, model, threads, slice);
            v.flush();
            pool.abandonForTesting();
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertModel(pool.vdisks().get("v"), model, threads, slice);
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    /**
     * A journal write to a block that an in-place write is writing at that moment (another part of the same block)
     * waits for it: the journal path fills the rest of its block from the data space, and reading it before the
     * in-place bytes land would write the old bytes back at destage. The journal writer is one that found in-place
     * writes barred: it writes while a snapshot of another vdisk is being deleted.
     */
    @Test
    void aJournalWriteWaitsForAnInPlaceWriteToTheSameSegment() throws Exception {
        try (Pool pool = TestPools.create(dir.resolve("p"), 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 4L * SEG);
            pool.vdisks().create("w", 4L * SEG);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, new byte[SEG]);
            TestPools.write(pool.vdisks().get("w"), 0, new byte[SEG]);
            pool.snapshots().take("w", "sw");
            pool.drain();
            byte[] first = TestPools.filled(100, 30); // in place, bytes 0-99 of block 0
            byte[] second = TestPools.filled(100, 31); // through the journal (in-place barred), bytes 200-299
            pool.vdisks().beforeDeletePoint = () -> { // holds destageLock: the entry is destaged after both writes
                TestPools.write(v, 200, second);
                long until = System.nanoTime() + 2_000_000_000L;
                while (v.inPlaceWrites() == 0 && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            };
            // the journal writer creates its entry and reads the block meanwhile, if it can
            Racer deleted = duringNextInPlaceWrite(v, () -> pool.vdisks().delete("sw"));
            TestPools.write(v, 0, first);
            deleted.done().get();
            assertEquals(1, v.inPlaceWrites());
            pool.drain();
            assertArrayEquals(first, TestPools.read(v, 0, 100), "the in-place bytes were written over at destage");
            assertArrayEquals(second, TestPools.read(v, 200, 100));
        }
    }

    /**
     * A page-cache write is not atomic against a concurrent read of the same page: a reader racing an in-place write
     * of one block must see the old or the new block, never a mix (without the retry, ~2 % of such reads tore here).
     */
    @Test
    void aReadRacingAnInPlaceWriteNeverSeesATornBlock() throws Exception {
        try (Pool pool = TestPools.create(dir.resolve("p"), 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 4L * SEG);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, new byte[SEG]);
            pool.drain();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong torn = new AtomicLong();
            AtomicLong reads = new AtomicLong();
            Thread reader = Thread.ofPlatform().start(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(4096);
                while (!stop.get()) {
                    b.clear();
                    v.read(0, b);
                    for (int i = 8; i < 4096; i += 8) {
                        if (b.getLong(i) != b.getLong(0)) {
                            torn.incrementAndGet();
                            break;
                        }
                    }
                    reads.incrementAndGet();
                }
            });
            ByteBuffer w = ByteBuffer.allocateDirect(4096);
            long t0 = System.nanoTime();
            for (long i = 1; System.nanoTime() - t0 < 1_500_000_000L; i++) {
                w.clear();
                while (w.hasRemaining()) {
                    w.putLong(i);
                }
                v.write(0, w.flip());
            }
            stop.set(true);
            reader.join();
            assertTrue(v.inPlaceWrites() > 1000, "few in-place writes: " + v.inPlaceWrites());
            assertEquals(0, torn.get(), torn.get() + " of " + reads.get() + " reads saw a torn block");
        }
    }

    private static void assertModel(Vdisk v, byte[][] model, int threads, int slice) {
        byte[] got = TestPools.read(v, 0, model[0].length);
        for (int i = 0; i < got.length; i++) {
            int owner = (i / slice) % threads;
            int at = i;
            assertEquals(model[owner][i], got[i], () -> "byte " + at + " (thread " + owner + ")");
        }
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

    /**
     * A record replayed at open marks its segment like a journal write: the segment (written in place before the
     * crash) takes the journal until a completed point's replay position passes the record, so neither the replayed
     * discard nor the writes after the reopen are undone by a second crash and replay.
     */
    @Test
    void aRecordReplayedAtOpenGuardsItsSegmentAcrossASecondCrash() {
        Path p = dir.resolve("p");
        byte[] base = TestPools.filled(SEG, 40);
        byte[] before = TestPools.filled(4096, 41);
        byte[] after = TestPools.filled(4096, 42);
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 4L * SEG);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, base);
            pool.drain();
            TestPools.write(v, 8192, before);
            assertEquals(1, v.inPlaceWrites());
            v.discard(4096, 4096); // no point after it (quiet options): replay applies it, destaged or not
            v.flush();
            pool.abandonForTesting(); // crash with the discard's record replayable
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            Vdisk v = pool.vdisks().get("v");
            assertArrayEquals(new byte[4096], TestPools.read(v, 4096, 4096), "replayed discard");
            assertArrayEquals(before, TestPools.read(v, 8192, 4096), "in-place write before the crash");
            TestPools.write(v, 4096, after);
            v.flush();
            pool.abandonForTesting();
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            Vdisk v = pool.vdisks().get("v");
            assertArrayEquals(Arrays.copyOfRange(base, 0, 4096), TestPools.read(v, 0, 4096));
            assertArrayEquals(after, TestPools.read(v, 4096, 4096), "a second replay undid a flushed write");
            assertArrayEquals(before, TestPools.read(v, 8192, 4096));
            assertArrayEquals(Arrays.copyOfRange(base, 12288, SEG), TestPools.read(v, 12288, 4096));
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    /** A write over two segments: in place in the owned one, through the journal in the hole; both survive a crash. */
    @Test
    void aWriteSpanningAnOwnedSegmentAndAHoleSplitsBetweenBothPaths() {
        Path p = dir.resolve("p");
        byte[] a = TestPools.filled(8192, 43);
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 4L * SEG);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, TestPools.filled(SEG, 44));
            pool.drain();
            TestPools.write(v, SEG - 4096, a);
            assertEquals(1, v.inPlaceWrites(), "segment 0's piece did not go in place");
            assertTrue(v.parts().table().contains(1L), "segment 1's piece did not take the journal");
            assertArrayEquals(a, TestPools.read(v, SEG - 4096, a.length));
            v.flush();
            pool.abandonForTesting();
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertArrayEquals(a, TestPools.read(pool.vdisks().get("v"), SEG - 4096, a.length));
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    /**
     * A grow that adds a map level waits for an in-place write in flight (opLock), and writes after it still go in
     * place to the same segment under the new root and survive a crash after a flush.
     */
    @Test
    void aGrowWaitsForAnInPlaceWriteAndTheSegmentStaysInPlaceUnderTheNewRoot() throws Exception {
        Path p = dir.resolve("p");
        byte[] first = TestPools.filled(4096, 45);
        byte[] second = TestPools.filled(4096, 46);
        long big = 1L << 30;
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 4L * SEG);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, TestPools.filled(SEG, 47));
            pool.drain();
            int height = v.map().tree().height();
            assertTrue(MapTree.heightFor(big, SEG) > height, "the grow must add a level");
            Racer grown = duringNextInPlaceWrite(v, () -> pool.vdisks().resize("v", big));
            TestPools.write(v, 4096, first);
            grown.done().get();
            assertFalse(grown.doneDuringWrite().get(), "the grow ran while an in-place write was in flight");
            assertTrue(v.map().tree().height() > height);
            TestPools.write(v, 8192, second);
            assertEquals(2, v.inPlaceWrites(), "the segment left the in-place path after the grow");
            v.flush();
            pool.abandonForTesting();
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            Vdisk v = pool.vdisks().get("v");
            assertEquals(big, v.size());
            assertArrayEquals(first, TestPools.read(v, 4096, 4096));
            assertArrayEquals(second, TestPools.read(v, 8192, 4096));
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    /**
     * A whole-segment discard waits for an in-place write in flight to it (opLock) and wins: the segment reads zeros,
     * after a crash too, and its freed segment leaks nothing.
     */
    @Test
    void aDiscardWaitsForAnInPlaceWriteInFlightAndWins() throws Exception {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 4L * SEG);
            Vdisk v = pool.vdisks().get("v");
            TestPools.write(v, 0, TestPools.filled(SEG, 48));
            pool.drain();
            Racer discarded = duringNextInPlaceWrite(v, () -> v.discard(0, SEG));
            TestPools.write(v, 4096, TestPools.filled(4096, 49));
            discarded.done().get();
            assertFalse(discarded.doneDuringWrite().get(), "the discard ran while an in-place write was in flight");
            assertEquals(1, v.inPlaceWrites());
            assertArrayEquals(new byte[SEG], TestPools.read(v, 0, SEG));
            TestPools.write(v, 0, TestPools.filled(100, 50)); // the discarded segment: through the journal
            assertEquals(1, v.inPlaceWrites(), "a write after the discard went in place");
            v.flush();
            pool.abandonForTesting();
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            Vdisk v = pool.vdisks().get("v");
            byte[] expect = new byte[SEG];
            System.arraycopy(TestPools.filled(100, 50), 0, expect, 0, 100);
            assertArrayEquals(expect, TestPools.read(v, 0, SEG));
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    /**
     * Deleting the youngest and a middle snapshot merges their change indexes: deltas across them still see segments
     * written in place (before and after the deletions, across a crash after a flush), and the segments the deletion
     * made exclusive take the journal until a write marks them.
     */
    @Test
    void deltasAcrossDeletedSnapshotsSeeInPlaceWrites() {
        Path p = dir.resolve("p");
        int segs = 4;
        byte[] model = new byte[segs * SEG];
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", (long) segs * SEG);
            Vdisk v = pool.vdisks().get("v");
            write(v, model, 0, SEG * segs, 60);
            pool.drain();
            pool.snapshots().take("v", "s1");
            write(v, model, 0, 4096, 61); // copies on write through the journal
            pool.drain();
            write(v, model, 4096, 4096, 62);
            assertEquals(1, v.inPlaceWrites());
            pool.snapshots().take("v", "s2");
            write(v, model, SEG + 100, 100, 63);
            write(v, model, 100, 100, 64);
            pool.drain();
            write(v, model, SEG + 8192, 4096, 65);
            assertEquals(2, v.inPlaceWrites());
            pool.vdisks().delete("s2"); // the youngest: segments 2 and 3 are now shared with s1 only
            write(v, model, 8192, 4096, 66);
            write(v, model, 2 * SEG, 4096, 67); // shared with s1: the journal
            assertEquals(3, v.inPlaceWrites());
            v.flush();
            pool.abandonForTesting();
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            Vdisk v = pool.vdisks().get("v");
            assertArrayEquals(model, TestPools.read(v, 0, model.length), "after the crash");
            pool.snapshots().take("v", "s3");
            pool.drain();
            write(v, model, 3 * SEG, 4096, 68); // shared with s1 and s3: the journal
            pool.drain();
            write(v, model, 3 * SEG + 4096, 4096, 69);
            write(v, model, 12288, 4096, 70); // segment 0: shared with s3 since the snapshot, the journal
            assertEquals(1, v.inPlaceWrites());
            pool.snapshots().take("v", "s4");
            pool.vdisks().delete("s3"); // a middle one: its index merges into s1's
            byte[] copy = TestPools.read(pool.snapshots().reader("s1"), 0, model.length);
            DeltaTest.apply(pool, pool.extents().delta("s1", "s4", 0), "s4", copy);
            assertArrayEquals(model, copy, "the delta from s1 misses a change");
            assertArrayEquals(model, TestPools.read(pool.snapshots().reader("s4"), 0, model.length));
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    /**
     * A clone's segment written in place stays the clone's through a split (COPY and SHARE) and its release of the
     * hidden backing; segments the split filled go in place only after a journal write and a point, and everything
     * flushed survives a crash after the release, with a clean check.
     */
    @ParameterizedTest
    @EnumSource(SplitMode.class)
    void aCloneWrittenInPlaceKeepsItsBytesThroughASplitAndACrash(SplitMode mode) throws Exception {
        Path p = dir.resolve("p");
        int segs = 4;
        byte[] model = new byte[segs * SEG];
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", (long) segs * SEG);
            Vdisk v = pool.vdisks().get("v");
            write(v, model, 0, segs * SEG, 80);
            pool.drain();
            pool.snapshots().take("v", "s");
            pool.snapshots().clone("s", "c");
            Vdisk c = pool.vdisks().get("c");
            write(c, model, 0, 8192, 81); // a hole: the journal
            pool.drain();
            write(c, model, 4096, 4096, 82);
            assertEquals(1, c.inPlaceWrites());
            pool.vdisks().delete("s"); // hidden: the clone reads through it
            pool.vdisks().delete("v");
            SplitProgress done =
                    pool.splits().start("c", mode, SplitOptions.defaults()).await(Duration.ofSeconds(30));
            assertEquals(SplitPhase.DONE, done.phase(), () -> "" + done);
            write(c, model, 100, 200, 83);
            assertEquals(2, c.inPlaceWrites(), "the clone's own segment left the in-place path after the split");
            write(c, model, SEG + 4096, 4096, 84); // filled by the split: no change bit, the journal
            assertEquals(2, c.inPlaceWrites());
            pool.drain();
            write(c, model, SEG + 8192, 4096, 85);
            assertEquals(3, c.inPlaceWrites());
            assertArrayEquals(model, TestPools.read(c, 0, model.length));
            c.flush();
            pool.abandonForTesting();
        }
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertArrayEquals(model, TestPools.read(pool.vdisks().get("c"), 0, model.length), "after the crash");
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    private static void write(Vdisk v, byte[] model, int off, int len, int seed) {
        byte[] b = TestPools.filled(len, seed);
        System.arraycopy(b, 0, model, off, len);
        TestPools.write(v, off, b);
    }

    /** An operation a test races against an in-place write. */
    private interface RacingOp {
        void run() throws Exception;
    }

    /** What {@link #duringNextInPlaceWrite} started: the operation's end, and whether it had ended before the write. */
    private record Racer(CompletableFuture<Void> done, AtomicBoolean doneDuringWrite) {}

    /**
     * Makes {@code v}'s next in-place write, once it decided (holding its segment's gate), start {@code op} on another
     * thread and give it 300 ms before writing; records whether {@code op} had ended by then.
     */
    private static Racer duringNextInPlaceWrite(Vdisk v, RacingOp op) {
        Racer r = new Racer(new CompletableFuture<>(), new AtomicBoolean());
        v.beforeInPlaceWrite(() -> {
            v.beforeInPlaceWrite(() -> {});
            Thread.ofPlatform().start(() -> {
                try {
                    op.run();
                    r.done().complete(null);
                } catch (Throwable t) {
                    r.done().completeExceptionally(t);
                }
            });
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            r.doneDuringWrite().set(r.done().isDone());
        });
        return r;
    }
}
