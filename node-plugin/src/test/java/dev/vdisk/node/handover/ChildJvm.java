package dev.vdisk.node.handover;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A test main run in a JVM of its own, so that it can be killed (SIGKILL) like the agent or the holder would be.
 * Its stderr (logs) goes to a file; {@link #awaitLine} reads its stdout.
 */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final Path log;

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.log = log;
    }

    /** Runs {@code main} with the test class path; {@code prefix} (e.g. setpriv ...) goes before java. */
    static ChildJvm start(Path logDir, Class<?> main, List<String> prefix, String classPath, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xmx48m",
                "-XX:-UsePerfData",
                "-cp",
                classPath,
                main.getName()));
        command.addAll(List.of(args));
        Path log = Files.createTempFile(logDir, main.getSimpleName(), ".log");
        Process process = new ProcessBuilder(command)
                .directory(logDir.toFile())
                .redirectError(log.toFile())
                .start();
        process.getOutputStream().close();
        return new ChildJvm(process, log);
    }

    static ChildJvm start(Path logDir, Class<?> main, String... args) throws IOException {
        return start(logDir, main, List.of(), System.getProperty("java.class.path"), args);
    }

    /** Only this module's classes and test classes (readable by any user; ~/.m2 may not be). */
    static String ownClassPath() {
        try {
            return Path.of(HolderConnection.class
                            .getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI()) + ":"
                    + Path.of(ChildJvm.class
                            .getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** The next line of stdout, failing with the child's log if none comes within 30 s. */
    String awaitLine() throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        try {
            String text = line.get(30, TimeUnit.SECONDS);
            if (text == null) {
                throw new AssertionError("child exited (" + process.waitFor() + ") without a line: " + log());
            }
            return text;
        } catch (TimeoutException e) {
            throw new AssertionError("no line from the child in 30 s: " + log());
        }
    }

    /** SIGKILL, and wait for it to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
