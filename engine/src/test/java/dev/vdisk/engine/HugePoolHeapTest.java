package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 15 TiB pool (a sparse file: ext4's 16 TiB file limit) holding 100 thin vdisks of 1 TiB, ten of them written in
 * 2,000 places so that their maps hold 2,000 level-1 blocks (125 MiB). A child JVM with a 64 MiB heap opens it, reads
 * every block back, rewrites them and takes consistency points. Before the node cache and the compact reference
 * counts, the open alone needed a 1 GiB {@code int[]} of counts plus every block on the heap.
 */
class HugePoolHeapTest {
    static final int SEG = 64 * 1024;
    static final int WRITTEN_VDISKS = 10;
    static final int WRITES_PER_VDISK = 200;
    private static final long POOL = 15L << 40;
    private static final long VDISK = 1L << 40;
    private static final long HEAP_BOUND = 40L << 20;

    @TempDir
    Path dir;

    /** Write {@code k}'s offset: each in its own 256 MiB, so each has its own level-1 block. */
    static long offset(int k) {
        return k * (5L << 30);
    }

    @Test
    @Timeout(300)
    void openingManyTiBOfThinVdisksFitsASmallHeap() throws Exception {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, POOL, SEG, TestPools.quietOptions())) {
            for (int d = 0; d < 100; d++) {
                pool.vdisks().create("v" + d, VDISK);
            }
            for (int d = 0; d < WRITTEN_VDISKS; d++) {
                Vdisk v = pool.vdisks().get("v" + d);
                for (int k = 0; k < WRITES_PER_VDISK; k++) {
                    TestPools.write(v, offset(k), TestPools.filled(4096, d * 100_000 + k));
                }
                pool.drain();
                pool.checkpoint();
            }
        }
        String javaCmd = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(
                        javaCmd,
                        "--enable-native-access=ALL-UNNAMED",
                        "-Xmx64m",
                        "-XX:+UseSerialGC",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-cp",
                        System.getProperty("java.class.path"),
                        HugePoolChild.class.getName(),
                        p.toString(),
                        Long.toString(16L << 20))
                .redirectErrorStream(true)
                .start();
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.add(line);
            }
        } finally {
            if (!child.waitFor(120, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
        assertEquals(0, child.exitValue(), "child with -Xmx64m failed: " + String.join("\n", out));
        long heap = out.stream()
                .filter(l -> l.startsWith("HEAP "))
                .mapToLong(l -> Long.parseLong(l.substring(5)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no HEAP line: " + out));
        System.out.println("15 TiB pool, 100 x 1 TiB vdisks, 2,000 leaves: used heap after GC " + (heap >> 20)
                + " MiB; "
                + out.stream().filter(l -> l.startsWith("CACHE")).findFirst().orElse(""));
        assertTrue(heap < HEAP_BOUND, "used heap " + heap + " bytes, bound " + HEAP_BOUND);
    }
}
