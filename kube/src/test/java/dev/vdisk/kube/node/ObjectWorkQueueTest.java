package dev.vdisk.kube.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One object's work runs one at a time and sees the last submission; objects run in parallel; nothing before open. */
class ObjectWorkQueueTest {

    @Test
    void serialisedPerKeyCoalescedAndParallelAcrossKeys() throws Exception {
        try (ObjectWorkQueue queue = new ObjectWorkQueue()) {
            List<String> ran = new CopyOnWriteArrayList<>();
            queue.submit("a", () -> ran.add("before-open"));
            Thread.sleep(50);
            assertEquals(List.of(), ran, "nothing runs before open");
            queue.open();

            CountDownLatch aRunning = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger concurrentA = new AtomicInteger();
            AtomicInteger maxConcurrentA = new AtomicInteger();
            Runnable slowA = () -> {
                maxConcurrentA.accumulateAndGet(concurrentA.incrementAndGet(), Math::max);
                aRunning.countDown();
                try {
                    release.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                concurrentA.decrementAndGet();
            };
            assertTrue(waitUntil(() -> ran.contains("before-open")));
            queue.submit("a", slowA);
            assertTrue(aRunning.await(5, TimeUnit.SECONDS));
            // while a runs: three more for a (coalesced to the last), and b runs meanwhile
            queue.submit("a", () -> ran.add("a-1"));
            queue.submit("a", () -> ran.add("a-2"));
            queue.submit("a", () -> ran.add("a-3"));
            CountDownLatch bRan = new CountDownLatch(1);
            queue.submit("b", bRan::countDown);
            assertTrue(bRan.await(5, TimeUnit.SECONDS), "another object is not held up");
            release.countDown();
            assertTrue(waitUntil(() -> ran.contains("a-3")));
            Thread.sleep(50);
            assertEquals(List.of("before-open", "a-3"), ran, "the newest of the waiting submissions, once");
            assertEquals(1, maxConcurrentA.get());

            CountDownLatch later = new CountDownLatch(1);
            queue.submitAfter("c", Duration.ofMillis(500), () -> ran.add("c-old"));
            queue.submitAfter("c", Duration.ofMillis(50), later::countDown);
            assertTrue(later.await(5, TimeUnit.SECONDS));
            Thread.sleep(600);
            assertTrue(!ran.contains("c-old"), "a newer timer replaces the older one");
        }
    }

    private static boolean waitUntil(java.util.function.BooleanSupplier c) throws InterruptedException {
        for (int i = 0; i < 250 && !c.getAsBoolean(); i++) {
            Thread.sleep(20);
        }
        return c.getAsBoolean();
    }
}
