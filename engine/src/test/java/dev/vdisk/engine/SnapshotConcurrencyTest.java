package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property 2 (snapshots) under load: writers keep writing (and discarding) while snapshots are taken and
 * deltas computed; every snapshot keeps the content it had when first read, and each delta applied to the older
 * snapshot's image yields the younger one's.
 */
class SnapshotConcurrencyTest {
    @TempDir
    Path dir;

    @Test
    void snapshotsAndDeltasUnderConcurrentWrites() throws Exception {
        int seg = 4096;
        int size = 256 * seg;
        try (Pool pool = TestPools.create(dir.resolve("p"), 48L << 20, seg, TestPools.fastOptions())) {
            pool.vdisks().create("v", size);
            Vdisk v = pool.vdisks().get("v");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int tt = t;
                writers.add(Thread.ofPlatform().start(() -> {
                    Random rnd = new Random(tt);
                    ByteBuffer b = ByteBuffer.allocateDirect(2 * seg);
                    try {
                        for (int i = 0; !stop.get(); i++) {
                            long off = (long) seg * rnd.nextInt(size / seg - 2);
                            if (rnd.nextInt(10) == 0) {
                                v.discard(off, seg);
                            } else {
                                b.clear();
                                b.put(TestPools.filled(2 * seg, tt * 1_000_000 + i))
                                        .flip();
                                v.write(off + rnd.nextInt(seg), b.limit(seg + rnd.nextInt(seg)));
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            List<byte[]> images = new ArrayList<>();
            for (int s = 0; s < 12; s++) {
                Thread.sleep(20);
                pool.snapshots().take("v", "s" + s);
                images.add(ModelTest.readAll(pool.snapshots().reader("s" + s)));
                if (s > 0) {
                    byte[] copy = images.get(s - 1).clone();
                    DeltaTest.apply(pool, pool.extents().delta("s" + (s - 1), "s" + s, 0), "s" + s, copy);
                    assertArrayEquals(images.get(s), copy, "delta s" + (s - 1) + "..s" + s + " under load");
                }
            }
            byte[] copy = images.get(0).clone();
            DeltaTest.apply(pool, pool.extents().delta("s0", "s11", 0), "s11", copy);
            assertArrayEquals(images.get(11), copy, "delta s0..s11 under load");
            stop.set(true);
            for (Thread t : writers) {
                t.join();
            }
            assertNull(failure.get(), () -> "writer failed: " + failure.get());
            for (int s = 0; s < 12; s++) {
                assertTrue(
                        Arrays.equals(
                                images.get(s),
                                ModelTest.readAll(pool.snapshots().reader("s" + s))),
                        "snapshot s" + s + " changed");
            }
            assertTrue(pool.check().clean());
        }
    }
}
