package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.InvalidRangeException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

    @Test
    void aFlushedWriteBeyondTheOldSizeDuringAGrowSurvivesACrashBeforeItsPoint() throws Exception {
        Path p = dir.resolve("p");
        Path img = dir.resolve("img");
        long oldSize = 4L * SEG;
        long newSize = 8L * SEG;
        byte[] beyond = TestPools.filled(4096, 90);
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", oldSize);
            TestPools.write(pool.vdisks().get("v"), 0, TestPools.filled(SEG, 91));
            pool.drain();
        }
        boolean accepted;
        BlockingDataSpace[] ds = new BlockingDataSpace[1];
        try (Pool pool = Pool.open(p, TestPools.quietOptions(), d -> ds[0] = new BlockingDataSpace(d, "resizer"))) {
            Vdisk v = pool.vdisks().get("v");
            v.flush(); // the data space is synced: a flush that follows needs no data fsync
            ds[0].armed = true;
            CompletableFuture<Void> resized = new CompletableFuture<>();
            Thread t = new Thread(
                    () -> {
                        try {
                            pool.vdisks().resize("v", newSize);
                            resized.complete(null);
                        } catch (Throwable e) {
                            resized.completeExceptionally(e);
                        } finally {
                            ds[0].release.countDown();
                        }
                    },
                    "resizer");
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
                BlockingDataSpace.copyPool(
                        p, img); // a kill now: the page cache as it is, the resize's point not written
            } finally {
                ds[0].release.countDown();
                t.join();
            }
            resized.get();
            assertEquals(newSize, v.size());
        }
        try (Pool pool = Pool.open(img, TestPools.quietOptions())) {
            Vdisk v = pool.vdisks().get("v");
            if (accepted) {
                assertTrue(
                        v.size() >= oldSize + beyond.length,
                        "a flushed write lies beyond the recovered size " + v.size());
                assertArrayEquals(beyond, TestPools.read(v, oldSize, beyond.length), "a flushed write was lost");
            }
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }
}
