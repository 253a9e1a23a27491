package dev.vdisk.kube.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * One key is handled one at a time and sees its last add; keys run in parallel up to the limit; failures back off;
 * close lets the running key finish and starts nothing else.
 */
class KeyedWorkQueueTest {

    private static final Backoff FAST = new Backoff(Duration.ofMillis(20), Duration.ofMillis(80));

    @Test
    void oneKeyIsHandledOneAtATimeAndOnceMoreForAddsWhileItRuns() throws Exception {
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        AtomicInteger concurrentA = new AtomicInteger();
        AtomicInteger maxConcurrentA = new AtomicInteger();
        CountDownLatch aRunning = new CountDownLatch(1);
        CountDownLatch releaseA = new CountDownLatch(1);
        CountDownLatch bHandled = new CountDownLatch(1);
        KeyedWorkQueue.Handler handler = key -> {
            int n = handled.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            if (key.equals("a")) {
                maxConcurrentA.accumulateAndGet(concurrentA.incrementAndGet(), Math::max);
                if (n == 1) {
                    aRunning.countDown();
                    awaitQuietly(releaseA);
                }
                concurrentA.decrementAndGet();
            } else {
                bHandled.countDown();
            }
            return null;
        };
        try (KeyedWorkQueue queue = new KeyedWorkQueue("test", 4, FAST, handler)) {
            queue.add("a");
            Thread.sleep(50);
            assertEquals(Map.of(), handled, "nothing is handled before open");
            queue.open();
            assertTrue(aRunning.await(5, TimeUnit.SECONDS));
            queue.add("a");
            queue.add("a");
            queue.add("a");
            queue.add("b");
            assertTrue(bHandled.await(5, TimeUnit.SECONDS), "another key is not held up by a running one");
            releaseA.countDown();
            assertTrue(waitUntil(() -> handled.get("a").get() == 2));
            Thread.sleep(100);
            assertEquals(2, handled.get("a").get(), "three adds while it ran: handled once more, not three times");
            assertEquals(1, maxConcurrentA.get(), "never twice at once");
        }
    }

    @Test
    void parallelismOneHandlesKeysOneAtATimeInTheOrderAdded() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        try (KeyedWorkQueue queue = new KeyedWorkQueue("test", 1, FAST, key -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            order.add(key);
            sleepQuietly(5);
            concurrent.decrementAndGet();
            return null;
        })) {
            for (String k : List.of("r1", "r2", "r3", "r2", "r4")) {
                queue.add(k);
            }
            queue.open();
            assertTrue(waitUntil(() -> order.size() == 4), "r2 waiting twice is handled once: " + order);
            assertEquals(List.of("r1", "r2", "r3", "r4"), order);
            assertEquals(1, maxConcurrent.get());
        }
    }

    @Test
    void aFailingKeyIsRetriedWithGrowingBackoffAndAgainReturnedIsHonoured() throws Exception {
        List<Long> calls = new CopyOnWriteArrayList<>();
        try (KeyedWorkQueue queue = new KeyedWorkQueue("test", 2, FAST, key -> {
            calls.add(System.nanoTime());
            if (calls.size() <= 3) {
                throw new IllegalStateException("API server unreachable (test)");
            }
            return calls.size() == 4 ? Duration.ofMillis(30) : null;
        })) {
            queue.open();
            queue.add("k");
            assertTrue(waitUntil(() -> calls.size() == 5), "3 failures, a success asking again, the again: " + calls);
            List<Long> gapsMs = new ArrayList<>();
            for (int i = 1; i < calls.size(); i++) {
                gapsMs.add(TimeUnit.NANOSECONDS.toMillis(calls.get(i) - calls.get(i - 1)));
            }
            assertTrue(
                    gapsMs.get(0) >= 20 && gapsMs.get(1) >= 40 && gapsMs.get(2) >= 80 && gapsMs.get(3) >= 30,
                    "back-off 20, 40, 80 ms, then the asked-for 30 ms: " + gapsMs);
            Thread.sleep(150);
            assertEquals(5, calls.size(), "null: not again without an add");
        }
    }

    @Test
    void backoffDoublesUpToItsMaximum() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1));
        assertEquals(
                List.of(1L, 2L, 4L, 32L, 60L, 60L),
                List.of(1, 2, 3, 6, 7, 100).stream()
                        .map(n -> b.after(n).toSeconds())
                        .toList());
        assertEquals(Duration.ofSeconds(2), Backoff.fixed(Duration.ofSeconds(2)).after(5));
    }

    @Test
    void aNewerTimerReplacesTheOlderAndForgetDropsIt() throws Exception {
        List<String> handled = new CopyOnWriteArrayList<>();
        try (KeyedWorkQueue queue = new KeyedWorkQueue("test", 2, FAST, key -> {
            handled.add(key);
            return null;
        })) {
            queue.open();
            queue.addAfter("c", Duration.ofMillis(300));
            queue.addAfter("c", Duration.ofMillis(20));
            queue.addAfter("gone", Duration.ofMillis(20));
            queue.forget("gone");
            assertTrue(waitUntil(() -> handled.contains("c")));
            Thread.sleep(400);
            assertEquals(List.of("c"), handled, "the 300 ms timer was replaced; the forgotten key's dropped");
        }
    }

    /** The shutdown bug: close interrupted the key being handled, cut off between its status write and its Events. */
    @Test
    void closeLetsTheRunningKeyFinishUninterruptedAndStartsNoOther() throws Exception {
        CountDownLatch aRunning = new CountDownLatch(1);
        CountDownLatch releaseA = new CountDownLatch(1);
        AtomicReference<String> aEnded = new AtomicReference<>();
        List<String> handled = new CopyOnWriteArrayList<>();
        KeyedWorkQueue queue = new KeyedWorkQueue("test", 1, FAST, key -> {
            handled.add(key);
            if (key.equals("a")) {
                aRunning.countDown();
                try {
                    releaseA.await(5, TimeUnit.SECONDS);
                    aEnded.set("finished");
                } catch (InterruptedException e) {
                    aEnded.set("interrupted");
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("a fails after close: not retried (test)");
            }
            return null;
        });
        queue.open();
        queue.add("a");
        assertTrue(aRunning.await(5, TimeUnit.SECONDS));
        queue.add("b"); // waits behind a
        queue.addAfter("c", Duration.ofMillis(10));
        Thread closer = Thread.ofPlatform().start(queue::close);
        Thread.sleep(100);
        assertTrue(closer.isAlive(), "close waits for the running key");
        queue.add("d");
        releaseA.countDown();
        closer.join(5_000);
        assertFalse(closer.isAlive(), "close returns once the running key is done");
        assertEquals("finished", aEnded.get(), "the running key was not interrupted");
        Thread.sleep(100);
        assertEquals(List.of("a"), handled, "after close: no waiting key, timer, add or retry is handled");
    }

    @Test
    void addsRacingCloseNeverThrow() throws Exception {
        for (int round = 0; round < 20; round++) {
            KeyedWorkQueue queue = new KeyedWorkQueue("test", 4, FAST, key -> Duration.ofMillis(1));
            queue.open();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            List<Thread> adders = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                adders.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 2_000; i++) {
                            queue.add("k" + id + "-" + i % 7);
                            queue.addAfter("t" + id, Duration.ofMillis(1));
                        }
                    } catch (Throwable e) {
                        thrown.set(e);
                    }
                }));
            }
            queue.close();
            for (Thread a : adders) {
                a.join();
            }
            assertEquals(null, thrown.get(), "an add during close is dropped, not an exception");
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean waitUntil(BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 250 && !condition.getAsBoolean(); i++) {
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }
}
