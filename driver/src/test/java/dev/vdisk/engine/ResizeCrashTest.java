package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import dev.vdisk.engine.io.DataSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A grow is durable only with its consistency point: a write beyond the old size that the engine accepts and a flush
 * makes durable before that point completes must survive a crash then (or be refused).
 */
class ResizeCrashTest {
    private static final int SEG = 16384;

    @TempDir
    Path dir;

    /** Blocks the resizing thread's first data-space write (its point's first metadata write) until released. */
    private static final class BlockingDataSpace extends DataSpace {
        volatile boolean armed;
        final CountDownLatch blocked = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        BlockingDataSpace(Path p) {
            super(p);
        }

        @Override
        public void writeFully(ByteBuffer src, long pos) {
            if (armed && Thread.currentThread().getName().equals("resizer")) {
                armed = false;
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            super.writeFully(src, pos);
        }
    }

    @Test
    void aFlushedWriteBeyondTheOldSizeDuringAGrowSurvivesACrashBeforeItsPoint() throws Exception {
        Path p = dir.resolve("p");
        Path img = dir.resolve("img");
        long oldSize = 4L * SEG;
        long newSize = 8L * SEG;
        byte[] beyond = TestPools.filled(4096, 90);
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.create("v", oldSize);
            TestPools.write(pool.vdisk("v"), 0, TestPools.filled(SEG, 91));
            pool.drain();
        }
        boolean accepted;
        BlockingDataSpace[] ds = new BlockingDataSpace[1];
        try (Pool pool = Pool.open(p, TestPools.quietOptions(), d -> ds[0] = new BlockingDataSpace(d))) {
            Vdisk v = pool.vdisk("v");
            v.flush(); // the data space is synced: a flush that follows needs no data fsync
            ds[0].armed = true;
            CompletableFuture<Void> resized = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    pool.resize("v", newSize);
                    resized.complete(null);
                } catch (Throwable e) {
                    resized.completeExceptionally(e);
                } finally {
                    ds[0].release.countDown();
                }
            }, "resizer");
            t.start();
            try {
                assertTrue(ds[0].blocked.await(10, TimeUnit.SECONDS), "the resize's point wrote nothing");
                CompletableFuture<Boolean> w = CompletableFuture.supplyAsync(() -> {
                    try {
                        TestPools.write(v, oldSize, beyond);
                    } catch (InvalidRangeException e) {
                        return false; // refused until the grow is durable: nothing to lose
                    }
                    v.flush();
                    return true;
                });
                accepted = w.get(10, TimeUnit.SECONDS);
                copyTree(p, img); // a kill now: the page cache as it is, the resize's point not written
            } finally {
                ds[0].release.countDown();
                t.join();
            }
            resized.get();
            assertEquals(newSize, v.size());
        }
        try (Pool pool = Pool.open(img, TestPools.quietOptions())) {
            Vdisk v = pool.vdisk("v");
            if (accepted) {
                assertTrue(v.size() >= oldSize + beyond.length, "a flushed write lies beyond the recovered size "
                        + v.size());
                assertArrayEquals(beyond, TestPools.read(v, oldSize, beyond.length), "a flushed write was lost");
            }
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path x : s.toList()) {
                Path y = to.resolve(from.relativize(x).toString());
                if (Files.isDirectory(x)) {
                    Files.createDirectories(y);
                } else if (!x.getFileName().toString().equals("pool.lock")) {
                    Files.copy(x, y);
                }
            }
        }
        // the layout names the data file and the journal by absolute path: point the copy at its own
        PoolFiles.write(to, new PoolFiles.Layout(to.resolve(PoolFiles.DATA), false, to.resolve(PoolFiles.JOURNAL)));
    }
}
