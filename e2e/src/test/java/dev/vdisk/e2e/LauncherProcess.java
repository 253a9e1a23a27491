package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import csi.v1.IdentityGrpc;
import csi.v1.ProbeRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code bin/vdisk-csi} process with its output in files (never pipes, which can fill and stall it), and a
 * gRPC channel to its socket. {@link #close()} always leaves no process behind.
 */
final class LauncherProcess implements AutoCloseable {

    static final Path REPO = Path.of(System.getProperty("vdisk.repo.root", ".."))
            .toAbsolutePath()
            .normalize();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final Path socket;
    private EventLoopGroup group;
    private ManagedChannel channel;

    private LauncherProcess(Process process, Path stdout, Path stderr, Path socket) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.socket = socket;
    }

    /** Starts {@code bin/vdisk-csi args...}; {@code socket} is where the process is told to listen, if it is. */
    static LauncherProcess start(Path workDir, Path socket, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(REPO.resolve("bin/vdisk-csi").toString());
        command.addAll(List.of(args));
        Path out = Files.createTempFile(workDir, "stdout", ".txt");
        Path err = Files.createTempFile(workDir, "stderr", ".txt");
        Process process = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        return new LauncherProcess(process, out, err, socket);
    }

    /** Starts {@code bin/vdisk-csi fd-holder --socket socket} and waits for its socket. */
    static LauncherProcess startHolder(Path workDir, Path socket) throws IOException, InterruptedException {
        LauncherProcess holder = start(workDir, socket, "fd-holder", "--socket", socket.toString());
        try {
            holder.awaitSocketFile();
        } catch (AssertionError | InterruptedException e) {
            holder.close();
            throw e;
        }
        return holder;
    }

    /** Runs to completion (for --help, bad flags, refused starts) and returns the exit code. */
    int waitForExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("vdisk-csi still running after " + timeout + "; stderr:\n" + stderr());
        }
        return process.exitValue();
    }

    /** Waits until the socket answers Probe with ready=true; fails with the process's stderr if it dies first. */
    ManagedChannel awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("vdisk-csi exited with " + process.exitValue() + " before it was ready; stderr:\n" + stderr());
            }
            if (Files.exists(socket)) {
                try {
                    if (IdentityGrpc.newBlockingStub(channel())
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .probe(ProbeRequest.getDefaultInstance())
                            .getReady()
                            .getValue()) {
                        return channel;
                    }
                } catch (StatusRuntimeException e) {
                    // not accepting yet: try again
                }
            }
            Thread.sleep(100);
        }
        fail("vdisk-csi not ready after " + START_TIMEOUT + "; stderr:\n" + stderr());
        return null;
    }

    /** Waits until the socket file exists (a process that serves no gRPC, like the descriptor holder). */
    void awaitSocketFile() throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("vdisk-csi exited with " + process.exitValue() + " before it was ready; stderr:\n" + stderr());
            }
            if (Files.exists(socket)) {
                return;
            }
            Thread.sleep(50);
        }
        fail("no socket " + socket + " after " + START_TIMEOUT + "; stderr:\n" + stderr());
    }

    ManagedChannel channel() {
        if (channel == null) {
            group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
            channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toFile()))
                    .eventLoopGroup(group)
                    .channelType(EpollDomainSocketChannel.class)
                    .usePlaintext()
                    .build();
        }
        return channel;
    }

    /** Sends SIGKILL: the process gets no chance to clean up (crash tests). */
    void kill() throws InterruptedException {
        closeChannel();
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Sends SIGTERM (what Process.destroy does on Linux) and returns the exit code. */
    int terminate() throws InterruptedException {
        closeChannel();
        process.destroy();
        return waitForExit(Duration.ofSeconds(30));
    }

    long pid() {
        return process.pid();
    }

    String stdout() {
        return read(stdout);
    }

    String stderr() {
        return read(stderr);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private void closeChannel() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            channel = null;
        }
    }

    @Override
    public void close() {
        try {
            closeChannel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (process.isAlive()) {
                // SIGTERM first: node and standalone unmount their FUSE filesystem on a clean stop
                process.destroy();
                try {
                    process.waitFor(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (process.isAlive()) {
                process.destroyForcibly();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
