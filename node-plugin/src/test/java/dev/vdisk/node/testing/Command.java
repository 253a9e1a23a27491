package dev.vdisk.node.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external tool and returns its output; a non-zero exit or a timeout fails the test with the output. */
public final class Command {
    private Command() {}

    public static String run(String... command) {
        return run(120, command);
    }

    public static String run(int timeoutSeconds, String... command) {
        Result r = tryRun(timeoutSeconds, command);
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited with " + r.exitCode() + ":\n" + r.output());
        }
        return r.output();
    }

    /** Exit code and combined output. */
    public record Result(int exitCode, String output) {}

    public static Result tryRun(int timeoutSeconds, String... command) {
        try {
            Process p = new ProcessBuilder(List.of(command))
                    .redirectErrorStream(true)
                    .start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " timed out after " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", command), e);
        }
    }

    /** Uid and gid of the unprivileged user that access tests run commands as. */
    public static final int NOBODY = 65534;

    /** Runs {@code command} as uid and gid 65534 with no supplementary groups (we run as root: see Privileged). */
    public static Result tryAsNobody(String... command) {
        if (which("setpriv") == null) {
            throw new AssertionError("setpriv (util-linux) is not on PATH: cannot run a command as a non-root user");
        }
        List<String> all =
                new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--"));
        all.addAll(List.of(command));
        return tryRun(60, all.toArray(String[]::new));
    }

    public static Path which(String tool) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, tool);
            if (!dir.isEmpty() && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Allocated 512-byte blocks of a file (stat %b). */
    public static long allocatedBlocks(Path file) {
        return Long.parseLong(run("stat", "-c", "%b", file.toString()).strip());
    }
}
