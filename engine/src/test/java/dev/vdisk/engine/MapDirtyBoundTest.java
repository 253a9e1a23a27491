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
 * A write burst between two timed consistency points (the quiet options' interval is an hour) to 1,500 level-1 blocks
 * of a thin vdisk, in a child JVM with a 48 MiB heap. Each write dirties its own 64 KiB block: 94 MiB pinned on the
 * heap before the destager took points at the dirty bound (the child died of OutOfMemoryError). Now the dirty bytes
 * stay under {@link PoolOptions#mapDirtyLimitBytes()} (16 MiB with a 1 MiB cache) plus one path of slack.
 */
class MapDirtyBoundTest {
    static final int SEG = 64 * 1024;
    private static final int WRITES = 1500;
    /** A destaged segment dirties at most one path (3 levels at 4 TiB) past the bound before the point. */
    private static final long SLACK = 4L * (16L * 4096 + 160);

    @TempDir
    Path dir;

    /** Write {@code k}'s offset: each in its own 256 MiB, so each dirties its own level-1 block. */
    static long offset(int k) {
        return k * (257L << 20);
    }

    @Test
    @Timeout(300)
    void aLongWriteBurstKeepsDirtyMapBlocksUnderTheBound() throws Exception {
        String javaCmd = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(
                        javaCmd,
                        "--enable-native-access=ALL-UNNAMED",
                        "-Xmx48m",
                        "-XX:+UseSerialGC",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-cp",
                        System.getProperty("java.class.path"),
                        MapDirtyBoundChild.class.getName(),
                        dir.resolve("p").toString(),
                        Integer.toString(WRITES))
                .redirectErrorStream(true)
                .start();
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.add(line);
            }
        } finally {
            if (!child.waitFor(240, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
        assertEquals(0, child.exitValue(), "child with -Xmx48m failed: " + String.join("\n", out));
        long maxDirty = value(out, "MAXDIRTY");
        long limit = value(out, "LIMIT");
        long points = value(out, "POINTS");
        System.out.println(WRITES + " writes to distinct level-1 blocks: max dirty map " + (maxDirty >> 10) + " KiB"
                + " (limit " + (limit >> 10) + " KiB), " + points + " points, heap after GC "
                + (value(out, "HEAP") >> 20) + " MiB");
        assertEquals(0, value(out, "DIRTYAFTERPOINT"), "dirty map bytes after a point");
        assertTrue(maxDirty <= limit + SLACK, "dirty map bytes reached " + maxDirty + ", limit " + limit);
        // without the bound nothing would have taken a point: 1,500 blocks need at least 5 at 16 MiB
        assertTrue(points >= (long) WRITES * (16L * 4096) / limit, "only " + points + " points during the burst");
    }

    private static long value(List<String> out, String key) {
        return out.stream()
                .filter(l -> l.startsWith(key + " "))
                .mapToLong(l -> Long.parseLong(l.substring(key.length() + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + " line: " + out));
    }
}
