package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.VdiskNotFoundException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A created or cloned vdisk is durable only with its consistency point: a write to it that the engine accepts and a
 * flush makes durable before that point completes must survive a crash then (or the vdisk is not found yet).
 */
class CreateCrashTest {
    private static final int SEG = 16384;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aFlushedWriteToAVdiskWhosePointIsUnwrittenSurvivesACrash(boolean clone) throws Exception {
        Path p = dir.resolve("p");
        Path img = dir.resolve("img");
        byte[] data = TestPools.filled(4096, 95);
        try (Pool pool = TestPools.create(p, 64L * SEG, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 4L * SEG);
            TestPools.write(pool.vdisks().get("v"), 0, TestPools.filled(SEG, 96));
            pool.snapshots().take("v", "s");
        }
        boolean accepted;
        BlockingDataSpace[] ds = new BlockingDataSpace[1];
        try (Pool pool = Pool.open(p, TestPools.quietOptions(), d -> ds[0] = new BlockingDataSpace(d, "creator"))) {
            ds[0].armed = true;
            CompletableFuture<Void> created = new CompletableFuture<>();
            Thread t = new Thread(
                    () -> {
                        try {
                            if (clone) {
                                pool.snapshots().clone("s", "n");
                            } else {
                                pool.vdisks().create("n", 4L * SEG);
                            }
                            created.complete(null);
                        } catch (Throwable e) {
                            created.completeExceptionally(e);
                        } finally {
                            ds[0].release.countDown();
                        }
                    },
                    "creator");
            t.start();
            try {
                assertTrue(ds[0].blocked.await(10, TimeUnit.SECONDS), "the point wrote nothing");
                accepted = CompletableFuture.supplyAsync(() -> {
                            Vdisk n;
                            try {
                                n = pool.vdisks().get("n");
                            } catch (VdiskNotFoundException e) {
                                return false; // not there until durable: nothing to lose
                            }
                            TestPools.write(n, 4096, data);
                            n.flush();
                            return true;
                        })
                        .get(10, TimeUnit.SECONDS);
                BlockingDataSpace.copyPool(p, img); // a kill now: the point not written
            } finally {
                ds[0].release.countDown();
                t.join();
            }
            created.get();
            assertArrayEquals(
                    accepted ? data : TestPools.read(pool.vdisks().get("n"), 4096, 4096),
                    TestPools.read(pool.vdisks().get("n"), 4096, 4096));
        }
        try (Pool pool = Pool.open(img, TestPools.quietOptions())) {
            if (accepted) {
                assertArrayEquals(data, TestPools.read(pool.vdisks().get("n"), 4096, 4096), "a flushed write was lost");
            }
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }
}
