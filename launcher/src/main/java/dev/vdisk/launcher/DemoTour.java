package dev.vdisk.launcher;

import csi.v1.CapacityRange;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGrpc;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginCapabilitiesResponse;
import csi.v1.GetPluginInfoRequest;
import csi.v1.GetPluginInfoResponse;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.ProbeRequest;
import csi.v1.Snapshot;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeContentSource;
import csi.v1.VolumeUsage;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * {@code --demo}: a guided tour of standalone mode's services, printed to stdout. It talks to the running server
 * the way a CSI sidecar does (gRPC over the unix socket) and explains each answer. A new CSI service adds its step
 * here.
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
        ManagedChannel channel = NettyChannelBuilder.forAddress(
                        new DomainSocketAddress(config.endpoint().socketPath().toFile()))
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
        out.println(
                "A CSI plugin is a gRPC server on a unix socket; Kubernetes' sidecars call it. This one listens on");
        out.println("  " + config.endpoint() + "   (node id " + config.nodeId() + ", pool "
                + config.pool().orElseThrow() + ")");
        out.println("and the calls below are real gRPC calls over that socket, as a sidecar makes them.");
        out.println();

        GetPluginInfoResponse info = identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
        out.println(
                "1. Identity/GetPluginInfo -> name=" + info.getName() + " vendor_version=" + info.getVendorVersion());
        out.println("   The name is what a StorageClass's provisioner field and the CSIDriver object refer to.");

        GetPluginCapabilitiesResponse capabilities =
                identity.getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance());
        out.println("2. Identity/GetPluginCapabilities -> "
                + (capabilities.getCapabilitiesCount() == 0
                        ? "(none yet)"
                        : capabilities.getCapabilitiesList().stream()
                                .map(c -> c.hasVolumeExpansion()
                                        ? "VOLUME_EXPANSION_"
                                                + c.getVolumeExpansion()
                                                        .getType()
                                                        .name()
                                        : c.getService().getType().name())
                                .toList()));
        out.println("   A plugin advertises a service only once it serves it: standalone serves Node, Controller,");
        out.println("   GroupController and SnapshotMetadata.");

        boolean ready =
                identity.probe(ProbeRequest.getDefaultInstance()).getReady().getValue();
        out.println("3. Identity/Probe -> ready=" + ready);
        out.println("   Kubernetes' liveness probe asks this every few seconds.");

        volumeTour(channel);
        out.println();
        out.println("Each call above left one line in the log (stderr): method, request id, ids, status, duration.");
        out.println("Serving until Ctrl-C or SIGTERM (pid "
                + ProcessHandle.current().pid() + "); the socket is removed on exit.");
        out.flush();
    }

    /**
     * A volume's life as Kubernetes drives it: the external-provisioner's CreateVolume, the kubelet's NodeStage and
     * NodePublish, a pod's write, the kubelet's NodeGetVolumeStats; then the snapshotter's CreateSnapshot, a clone of
     * it (CreateVolume with a content source) that the node splits off its snapshot (splitOnClone), the snapshot
     * deleted, the clone staged and read; then everything undone in reverse order. Every step is a CSI call.
     */
    private void volumeTour(ManagedChannel channel) {
        var controller = ControllerGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
        var node = NodeGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
        VolumeCapability ext4 = VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                        .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
                .build();
        Mounted volume = new Mounted("pvc-demo-volume");
        Mounted clone = new Mounted("pvc-demo-clone");
        String snapshotId = "snap-demo";
        try {
            Volume v = controller
                    .createVolume(CreateVolumeRequest.newBuilder()
                            .setName(volume.id)
                            .addVolumeCapabilities(ext4)
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(64 << 20))
                            .build())
                    .getVolume();
            out.println("4. Controller/CreateVolume -> " + v.getVolumeId() + ", " + (v.getCapacityBytes() >> 20)
                    + " MiB, on node "
                    + v.getAccessibleTopology(0).getSegmentsMap().values());
            out.println("   A thin vdisk in the pool: instant, and it takes no space until written.");

            volume.stageAndPublish(node, ext4);
            out.println("5. Node/NodeStageVolume -> ext4 mounted at " + volume.staging);
            out.println(
                    "   The vdisk became a loop device on an image file in our own FUSE filesystem, then mkfs and mount.");
            out.println("6. Node/NodePublishVolume -> bind-mounted at " + volume.target);

            Path file = volume.target.resolve("hello.txt");
            Files.writeString(file, "hello from vdisk-csi\n");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.force(true); // on the device before the snapshot, as an application's fsync would put it
            }
            out.println("7. A pod writes " + file.getFileName() + " -> reads back '"
                    + Files.readString(file).strip() + "'");

            var stats = node.nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                    .setVolumeId(volume.id)
                    .setVolumePath(volume.target.toString())
                    .build());
            stats.getUsageList().stream()
                    .filter(u -> u.getUnit() == VolumeUsage.Unit.BYTES)
                    .findFirst()
                    .ifPresent(u -> out.println("8. Node/NodeGetVolumeStats -> " + (u.getUsed() >> 10) + " KiB used of "
                            + (u.getTotal() >> 10) + " KiB, condition "
                            + (stats.getVolumeCondition().getAbnormal() ? "abnormal" : "normal")));

            Snapshot snap = controller
                    .createSnapshot(CreateSnapshotRequest.newBuilder()
                            .setName(snapshotId)
                            .setSourceVolumeId(volume.id)
                            .build())
                    .getSnapshot();
            out.println("9. Controller/CreateSnapshot -> " + snap.getSnapshotId() + " of " + snap.getSourceVolumeId()
                    + ", ready_to_use=" + snap.getReadyToUse());
            out.println("   A point-in-time image that copies no data: it shares the vdisk's blocks.");

            Volume c = controller
                    .createVolume(CreateVolumeRequest.newBuilder()
                            .setName(clone.id)
                            .addVolumeCapabilities(ext4)
                            .putMutableParameters("splitOnClone", "copy")
                            .setVolumeContentSource(VolumeContentSource.newBuilder()
                                    .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                            .setSnapshotId(snapshotId)))
                            .build())
                    .getVolume();
            out.println("10. Controller/CreateVolume from " + snapshotId + " with splitOnClone=copy -> "
                    + c.getVolumeId() + ", content source "
                    + c.getContentSource().getSnapshot().getSnapshotId());
            out.println("    A thin clone reads through the snapshot; the node splits it off in the background.");

            String phase = awaitSplit(controller, clone.id);
            out.println("11. Controller/GetVolume -> volume_context " + SPLIT_KEY + "=" + phase);
            out.println("    The clone now owns a copy of every block it read through the snapshot.");

            controller.deleteSnapshot(
                    DeleteSnapshotRequest.newBuilder().setSnapshotId(snapshotId).build());
            out.println("12. Controller/DeleteSnapshot -> done; the split clone does not need it.");

            clone.stageAndPublish(node, ext4);
            out.println("13. Node/NodeStageVolume + NodePublishVolume of the clone -> its " + file.getFileName()
                    + " reads '"
                    + Files.readString(clone.target.resolve(file.getFileName())).strip() + "'");
        } catch (StatusRuntimeException | IOException e) {
            out.println("   failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.println("   failed: interrupted");
        } finally {
            try {
                clone.unpublishAndUnstage(node);
                controller.deleteVolume(
                        DeleteVolumeRequest.newBuilder().setVolumeId(clone.id).build());
                controller.deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId(snapshotId)
                        .build());
                volume.unpublishAndUnstage(node);
                controller.deleteVolume(
                        DeleteVolumeRequest.newBuilder().setVolumeId(volume.id).build());
                out.println("14. Node/NodeUnpublishVolume, Node/NodeUnstageVolume, Controller/DeleteVolume -> done;"
                        + " the pool is as before.");
            } catch (StatusRuntimeException e) {
                out.println("   cleanup failed: " + e.getStatus());
            }
        }
    }

    /** The volume_context key under which ControllerGetVolume reports a clone split's phase. */
    private static final String SPLIT_KEY = "vdisk.csi.dev/split";

    /** Polls ControllerGetVolume until the clone's split has ended (DONE, or how else it ended), at most 60 s. */
    private static String awaitSplit(ControllerGrpc.ControllerBlockingStub controller, String volumeId)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String phase = "";
        while (System.nanoTime() < deadline) {
            phase = controller
                    .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                            .setVolumeId(volumeId)
                            .build())
                    .getVolume()
                    .getVolumeContextOrDefault(SPLIT_KEY, "");
            if (phase.equals("DONE") || phase.equals("FAILED") || phase.equals("CANCELLED") || phase.equals("PAUSED")) {
                return phase;
            }
            Thread.sleep(200);
        }
        return phase + " (still running after 60 s)";
    }

    /** A volume's kubelet paths and what the tour did with it, so that cleanup undoes exactly that. */
    private final class Mounted {
        final String id;
        final Path staging;
        final Path target;
        boolean staged;
        boolean published;

        Mounted(String id) {
            this.id = id;
            this.staging = config.node()
                    .kubeletDir()
                    .resolve("plugins/kubernetes.io/csi/" + config.driverName() + "/" + id + "/globalmount");
            this.target =
                    config.node().kubeletDir().resolve("pods/demo-pod/volumes/kubernetes.io~csi/" + id + "/mount");
        }

        void stageAndPublish(NodeGrpc.NodeBlockingStub node, VolumeCapability cap) throws IOException {
            Files.createDirectories(target.getParent());
            node.nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setVolumeCapability(cap)
                    .setStagingTargetPath(staging.toString())
                    .build());
            staged = true;
            node.nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setVolumeCapability(cap)
                    .setStagingTargetPath(staging.toString())
                    .setTargetPath(target.toString())
                    .build());
            published = true;
        }

        void unpublishAndUnstage(NodeGrpc.NodeBlockingStub node) {
            if (published) {
                node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(id)
                        .setTargetPath(target.toString())
                        .build());
            }
            if (staged) {
                node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(id)
                        .setStagingTargetPath(staging.toString())
                        .build());
            }
        }
    }
}
