package dev.vdisk.e2e.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One process of the test cluster (etcd, the API server, a sidecar, bin/vdisk-csi) with its output in a log file,
 * never a pipe that could fill and stall it. Closing stops the whole process tree: SIGTERM, then SIGKILL.
 */
final class ChildProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static ChildProcess start(String name, Path logDir, List<String> command, Map<String, String> env)
            throws IOException {
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(logDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        return new ChildProcess(name, process, log);
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines of the log, for failure messages. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return name + " (" + log + "), last lines:\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return name + ": log unreadable: " + e;
        }
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** SIGKILL to the tree, as when a pod's node dies: no chance to clean up or hand over. */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        await(10);
    }

    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        if (!await(20)) {
            process.destroyForcibly();
            await(10);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    private boolean await(int seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
