package dev.vdisk.csi.server;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server on a unix domain socket, serving the CSI services of one mode.
 *
 * <p>Transport: grpc-netty-shaded's epoll domain-socket channel (the only unix-socket transport grpc-java
 * has). Netty's event loops only move bytes; each call's service code runs on its own virtual thread
 * (server executor = virtual-thread-per-task), so a service may block on disk or on a lock without starving
 * other calls.
 *
 * <p>Every call passes {@link CallLoggingInterceptor} (outermost, so it logs the final status), the caller's
 * observing interceptors (e.g. metrics), and then {@link StatusMappingInterceptor}.
 */
public final class CsiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CsiServer.class);
    /** After the graceful wait, how long the forced shutdown may take before we give up waiting. */
    private static final Duration FORCED_WAIT = Duration.ofSeconds(2);

    private final Endpoint endpoint;
    private final Server server;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService executor;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private CsiServer(
            Endpoint endpoint, Server server, EventLoopGroup boss, EventLoopGroup workers, ExecutorService executor) {
        this.endpoint = endpoint;
        this.server = server;
        this.boss = boss;
        this.workers = workers;
        this.executor = executor;
    }

    /**
     * Binds the socket and starts serving. A stale socket at the path is replaced; anything else there is
     * refused with an {@link IOException} naming the path and what is there, and left untouched.
     */
    public static CsiServer start(Endpoint endpoint, List<BindableService> services, StatusMapper mapper)
            throws IOException {
        return start(endpoint, services, mapper, List.of());
    }

    /**
     * As {@link #start(Endpoint, List, StatusMapper)}, with {@code observers} between logging and error mapping, so
     * they see each call's mapped status (e.g. {@code metrics.CallMetricsInterceptor}).
     */
    public static CsiServer start(
            Endpoint endpoint, List<BindableService> services, StatusMapper mapper, List<ServerInterceptor> observers)
            throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("unix domain sockets need netty's epoll transport, which did not load: "
                    + Epoll.unavailabilityCause());
        }
        SocketFile.prepareForBind(endpoint.socketPath());
        Path bindDirectory = SocketFile.privateBindDirectory(endpoint.socketPath());
        Path bound = bindDirectory.resolve("s");
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(bound.toFile()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .executor(executor)
                // interceptors added later run first: logging wraps the observers, which wrap error mapping
                .intercept(new StatusMappingInterceptor(mapper));
        observers.forEach(builder::intercept);
        builder.intercept(new CallLoggingInterceptor());
        services.forEach(builder::addService);
        Server server = builder.build();
        try {
            server.start();
            SocketFile.publish(bound, endpoint.socketPath());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(bound);
            Files.deleteIfExists(bindDirectory);
            server.shutdownNow();
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            executor.shutdownNow();
            throw e;
        }
        LOG.info(
                "serving {} on {}",
                services.stream()
                        .map(s -> s.bindService().getServiceDescriptor().getName())
                        .toList(),
                endpoint);
        return new CsiServer(endpoint, server, boss, workers, executor);
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** True from a successful {@link #start} until {@link #shutdown} begins. */
    public boolean isServing() {
        return !stopped.get() && !server.isShutdown();
    }

    /**
     * Stops accepting calls, lets in-flight calls finish for up to {@code grace}, cancels what is left, and
     * removes the socket file. Idempotent; safe from a shutdown hook.
     */
    public void shutdown(Duration grace) {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        LOG.info("shutting down {} (in-flight calls get up to {} ms)", endpoint, grace.toMillis());
        server.shutdown();
        try {
            if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("calls still running after {} ms; cancelling them", grace.toMillis());
                server.shutdownNow();
                server.awaitTermination(FORCED_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            executor.shutdown();
            try {
                SocketFile.removeIfSocket(endpoint.socketPath());
            } catch (IOException e) {
                LOG.warn("could not remove socket {}: {}", endpoint.socketPath(), e.toString());
            }
        }
        LOG.info("stopped {}", endpoint);
    }

    /** Blocks until the server has terminated (after {@link #shutdown}). */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
