package dev.vdisk.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child of {@link ChildProcessKillTest}: prints {@code LINE i} for i in 0..n-1 and {@code DONE}, flushes, creates the
 * marker file, then sleeps until killed. Args: n, marker path.
 */
public final class PrintThenSleepChild {
    private PrintThenSleepChild() {}

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        for (int i = 0; i < n; i++) {
            System.out.println("LINE " + i);
        }
        System.out.println("DONE");
        System.out.flush();
        Files.createFile(Path.of(args[1]));
        Thread.sleep(600_000);
    }
}
