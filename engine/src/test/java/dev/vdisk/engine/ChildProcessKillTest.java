package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The crash tests' kill keeps every line the child printed before it, even when nobody had read them yet. */
class ChildProcessKillTest {
    @TempDir
    Path dir;

    @Test
    void linesPrintedBeforeTheKillAreReadAfterIt() throws Exception {
        int n = 3000; // about 30 KiB: fits in the pipe, so the child finishes printing without a reader
        Path marker = dir.resolve("printed");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(
                        java,
                        "-Xshare:auto",
                        "-cp",
                        System.getProperty("java.class.path"),
                        PrintThenSleepChild.class.getName(),
                        Integer.toString(n),
                        marker.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(marker) && child.isAlive() && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertTrue(Files.exists(marker), "the child did not finish printing");
            ChildProcessKill.sigkill(child);
            assertFalse(child.isAlive());
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            }
            assertEquals(n + 1, lines.size(), "lines read after the kill");
            assertEquals("DONE", lines.get(n));
        } finally {
            child.toHandle().destroyForcibly();
        }
    }
}
