package dev.vdisk.e2e.kube;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A gRPC channel to a CSI unix socket, as the sidecars and the kubelet dial it. */
final class CsiSocket implements AutoCloseable {

    private final Path path;
    private final EventLoopGroup group;
    private final ManagedChannel channel;

    CsiSocket(Path path) {
        this.path = path;
        this.group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(path.toFile()))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .build();
    }

    ManagedChannel channel() {
        return channel;
    }

    /** Waits until Probe answers ready; fails with the process's log when it exits first. */
    void awaitReady(ChildProcess process, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("exited before it was ready: " + process.tail());
            }
            if (Files.exists(path)) {
                try {
                    if (IdentityGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .probe(ProbeRequest.getDefaultInstance())
                            .getReady()
                            .getValue()) {
                        return;
                    }
                } catch (StatusRuntimeException e) {
                    // not serving yet
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("not ready after " + timeout + ": " + process.tail());
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
