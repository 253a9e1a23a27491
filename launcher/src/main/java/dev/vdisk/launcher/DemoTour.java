package dev.vdisk.launcher;

import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeRequest;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginCapabilitiesResponse;
import csi.v1.GetPluginInfoRequest;
import csi.v1.GetPluginInfoResponse;
import csi.v1.IdentityGrpc;
import csi.v1.ProbeRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * {@code --demo}: a short guided tour of what exists so far, printed to stdout. It talks to the running server
 * the way a CSI sidecar does (gRPC over the unix socket) and explains each answer. It grows with the project:
 * each issue that adds a service adds its step here.
 */
final class DemoTour {

    private final LaunchConfig config;
    private final PrintStream out;

    DemoTour(LaunchConfig config, PrintStream out) {
        this.config = config;
        this.out = out;
    }

    void run() throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(config.endpoint().socketPath().toFile()))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .build();
        try {
            tour(channel);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private void tour(ManagedChannel channel) {
        var identity = IdentityGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        out.println();
        out.println("vdisk-csi standalone demo");
        out.println("=========================");
        out.println("A CSI plugin is a gRPC server on a unix socket; Kubernetes' sidecars call it. This one listens on");
        out.println("  " + config.endpoint() + "   (node id " + config.nodeId() + ", pool " + config.pool().orElseThrow() + ")");
        out.println("and the calls below are real gRPC calls over that socket, as a sidecar makes them.");
        out.println();

        GetPluginInfoResponse info = identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
        out.println("1. Identity/GetPluginInfo -> name=" + info.getName() + " vendor_version=" + info.getVendorVersion());
        out.println("   The name is what a StorageClass's provisioner field and the CSIDriver object refer to.");

        GetPluginCapabilitiesResponse capabilities = identity.getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance());
        out.println("2. Identity/GetPluginCapabilities -> " + (capabilities.getCapabilitiesCount() == 0 ? "(none yet)"
                : capabilities.getCapabilitiesList().stream().map(c -> c.getService().getType().name()).toList()));
        out.println("   A plugin advertises a service only once it serves it; the Controller (CONTROLLER_SERVICE),");
        out.println("   GroupController and SnapshotMetadata services are still to come.");

        boolean ready = identity.probe(ProbeRequest.getDefaultInstance()).getReady().getValue();
        out.println("3. Identity/Probe -> ready=" + ready);
        out.println("   Kubernetes' liveness probe asks this every few seconds.");

        try {
            ControllerGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .createVolume(CreateVolumeRequest.newBuilder().setName("demo-volume").build());
            out.println("4. Controller/CreateVolume -> answered (the Controller service is registered)");
        } catch (StatusRuntimeException e) {
            out.println("4. Controller/CreateVolume -> " + e.getStatus().getCode());
            out.println("   The spec's answer for a service this plugin does not serve yet; volumes arrive with the");
            out.println("   Controller and Node services and the storage engine.");
        }
        out.println();
        out.println("Each call above left one line in the log (stderr): method, request id, ids, status, duration.");
        out.println("Serving until Ctrl-C or SIGTERM (pid " + ProcessHandle.current().pid() + "); the socket is removed on exit.");
        out.flush();
    }
}
