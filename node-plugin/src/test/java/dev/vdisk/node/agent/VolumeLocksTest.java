package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class VolumeLocksTest {

    @Test
    void sameVolumeIsSerialisedOtherVolumesAreNot() throws Exception {
        VolumeLocks locks = new VolumeLocks(1);
        try (var held = locks.lock("a")) {
            assertTrue(locks.isHeldByCurrentThread("a"));
            // another volume: free
            assertTrue(CompletableFuture.supplyAsync(() -> {
                        try (var other = locks.lock("b")) {
                            return true;
                        }
                    })
                    .get(5, TimeUnit.SECONDS));
            // the same volume from another thread: waits, then ABORTED's exception
            var e = assertThrows(Exception.class, () -> CompletableFuture.runAsync(
                            () -> locks.lock("a").close())
                    .get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof VolumeBusyException, e.toString());
        }
        assertFalse(locks.isHeldByCurrentThread("a"));
    }

    @Test
    void aWaiterGetsTheLockWhenTheHolderReleasesIt() throws Exception {
        VolumeLocks locks = new VolumeLocks(10);
        CountDownLatch waiting = new CountDownLatch(1);
        CompletableFuture<Boolean> second;
        try (var held = locks.lock("a")) {
            second = CompletableFuture.supplyAsync(() -> {
                waiting.countDown();
                try (var h = locks.lock("a")) {
                    return true;
                }
            });
            waiting.await();
            Thread.sleep(100);
            assertFalse(second.isDone(), "serialised behind the holder");
        }
        assertTrue(second.get(5, TimeUnit.SECONDS));
    }
}
