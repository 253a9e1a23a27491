package dev.vdisk.node.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a host tool (mount, mkfs, blkid, resize2fs, ...) with arguments passed as they are (no shell, so volume IDs
 * and paths cannot inject anything) and a timeout, and returns its exit code and combined output.
 */
public final class HostCommand {
    private static final int TIMEOUT_SECONDS = 300;

    private HostCommand() {}

    /** Exit code and combined stdout/stderr. */
    public record Result(int exitCode, String output) {}

    public static Result run(String... command) throws IOException {
        Process p =
                new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", command), e);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
    }

    /** Runs and fails with the tool's output unless it exits 0. */
    public static String check(String... command) throws IOException {
        Result r = run(command);
        if (r.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + r.exitCode() + ": " + r.output());
        }
        return r.output();
    }

    /**
     * The last meaningful line of a tool's output: its own error, without the usage text some tools print after it
     * (mkfs.xfs prints its whole option list after "Filesystem must be larger than 300MB.").
     */
    public static String lastLine(String output) {
        List<String> lines =
                output.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        int usage = lines.size();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("Usage:") || lines.get(i).startsWith("usage:")) {
                usage = i;
                break;
            }
        }
        for (int i = usage - 1; i >= 0; i--) {
            String l = lines.get(i);
            if (!l.startsWith("dmesg(1)")) { // mount(8)'s hint after the error
                return l;
            }
        }
        return usage > 0 ? lines.get(usage - 1) : "exited without saying why";
    }
}
