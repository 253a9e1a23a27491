package dev.vdisk.node.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The limits in front of an in-memory backend, with 8 threads issuing requests at once. */
class ThrottledBackendTest {
    private static final int THREADS = 8;

    @Test
    void bytesPerSecondHoldsAcrossThreads() throws Exception {
        try (MemoryBackend memory = new MemoryBackend(1 << 20)) {
            ThrottledBackend t = new ThrottledBackend(memory, new IoLimits(0, 4 << 20));
            // 12 MiB at 4 MiB/s: 3 s less the 0.1 s burst
            double seconds = run(t, 64 << 10, (12 << 20) / (64 << 10));
            assertTrue(seconds > 2.7 && seconds < 3.6, "12 MiB at 4 MiB/s took " + seconds + " s");
        }
    }

    @Test
    void iopsHoldAcrossThreads() throws Exception {
        try (MemoryBackend memory = new MemoryBackend(1 << 20)) {
            ThrottledBackend t = new ThrottledBackend(memory, new IoLimits(500, 0));
            double seconds = run(t, 4096, 1000); // 1000 ops at 500/s: 2 s less the burst
            assertTrue(seconds > 1.8 && seconds < 2.6, "1000 ops at 500 IOPS took " + seconds + " s");
        }
    }

    @Test
    void removingTheLimitReleasesWaitingRequestsAtOnce() throws Exception {
        try (MemoryBackend memory = new MemoryBackend(1 << 20)) {
            ThrottledBackend t = new ThrottledBackend(memory, new IoLimits(0, 1 << 20));
            Thread changer = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                t.limits(IoLimits.NONE);
            });
            // 64 MiB at 1 MiB/s would take a minute
            double seconds = run(t, 64 << 10, (64 << 20) / (64 << 10));
            changer.join();
            assertTrue(seconds < 5, "the limit was lifted after 0.5 s, yet 64 MiB took " + seconds + " s");
            assertEquals(IoLimits.NONE, t.limits());
        }
    }

    @Test
    void unlimitedDoesNotWait() throws Exception {
        try (MemoryBackend memory = new MemoryBackend(1 << 20)) {
            double seconds = run(new ThrottledBackend(memory, IoLimits.NONE), 4096, 100_000);
            assertTrue(seconds < 5, "100000 unlimited reads took " + seconds + " s");
        }
    }

    /** {@code requests} reads of {@code size} bytes spread over the threads; returns the seconds they took. */
    private static double run(ThrottledBackend t, int size, int requests) throws Exception {
        AtomicLong left = new AtomicLong(requests);
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < THREADS; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(size);
                while (left.getAndDecrement() > 0) {
                    try {
                        b.clear();
                        t.read(0, b);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }));
        }
        for (Thread th : threads) {
            th.join();
        }
        return (System.nanoTime() - start) / 1e9;
    }
}
