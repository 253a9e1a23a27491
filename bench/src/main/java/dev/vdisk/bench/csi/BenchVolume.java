package dev.vdisk.bench.csi;

import csi.v1.CapacityRange;
import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability;
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
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A block volume for {@code e2e/bench/datapath.sh} (peer {@code agent}), made the way the CSI sidecars and the
 * kubelet make one: every step a CSI call on the driver's socket, nothing through the engine directly.
 *
 * <pre>
 * BenchVolume up SOCKET KUBELET_DIR NAME SIZE_BYTES   CreateVolume, NodeStageVolume, NodePublishVolume (block);
 *                                                     prints "VOLUME id", "TARGET path", "DEVICE /dev/loopN"
 * BenchVolume down SOCKET KUBELET_DIR VOLUME_ID       NodeUnpublishVolume, NodeUnstageVolume, DeleteVolume; each
 *                                                     step is tried even when an earlier one failed
 * </pre>
 *
 * The published target is a bind mount of the staged loop device; the device is named by the target's device
 * number ({@code /sys/dev/block/MAJ:MIN}), so the bench runs fio on the very device a pod would get.
 */
public final class BenchVolume {
    private static final String DRIVER = "vdisk.csi.dev";
    private static final long DEADLINE_SECONDS = 120;

    private BenchVolume() {}

    public static void main(String[] a) throws IOException, InterruptedException {
        if (a.length != 5 && !(a.length == 4 && a[0].equals("down"))) {
            System.err.println("usage: BenchVolume up SOCKET KUBELET_DIR NAME SIZE_BYTES"
                    + " | down SOCKET KUBELET_DIR VOLUME_ID");
            System.exit(2);
        }
        Path kubelet = Path.of(a[2]);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(a[1]))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .build();
        int status = 0;
        try {
            if (a[0].equals("up")) {
                up(channel, kubelet, a[3], Long.parseLong(a[4]));
            } else {
                status = down(channel, kubelet, a[3]);
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        System.exit(status);
    }

    private static void up(ManagedChannel channel, Path kubelet, String name, long size) throws IOException {
        var controller = ControllerGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
        var node = NodeGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
        String id = controller
                .createVolume(CreateVolumeRequest.newBuilder()
                        .setName(name)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(size))
                        .addVolumeCapabilities(block())
                        .build())
                .getVolume()
                .getVolumeId();
        // printed first: the caller deletes the volume even if a later step fails
        System.out.println("VOLUME " + id);
        System.out.flush();
        Path target = target(kubelet, id);
        Files.createDirectories(target.getParent());
        node.nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                .setVolumeId(id)
                .setStagingTargetPath(staging(kubelet, id).toString())
                .setVolumeCapability(block())
                .build());
        node.nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                .setVolumeId(id)
                .setStagingTargetPath(staging(kubelet, id).toString())
                .setTargetPath(target.toString())
                .setVolumeCapability(block())
                .build());
        System.out.println("TARGET " + target);
        System.out.println("DEVICE " + device(target));
    }

    private static int down(ManagedChannel channel, Path kubelet, String id) {
        var controller = ControllerGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
        var node = NodeGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
        int failed = 0;
        try {
            node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setTargetPath(target(kubelet, id).toString())
                    .build());
        } catch (StatusRuntimeException e) {
            System.err.println("NodeUnpublishVolume " + id + ": " + e.getStatus());
            failed++;
        }
        try {
            node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setStagingTargetPath(staging(kubelet, id).toString())
                    .build());
        } catch (StatusRuntimeException e) {
            System.err.println("NodeUnstageVolume " + id + ": " + e.getStatus());
            failed++;
        }
        try {
            controller.deleteVolume(
                    DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        } catch (StatusRuntimeException e) {
            System.err.println("DeleteVolume " + id + ": " + e.getStatus());
            failed++;
        }
        return failed == 0 ? 0 : 1;
    }

    private static VolumeCapability block() {
        return VolumeCapability.newBuilder()
                .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                        .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
                .build();
    }

    private static Path staging(Path kubelet, String id) {
        return kubelet.resolve("plugins/kubernetes.io/csi/" + DRIVER + "/" + id + "/globalmount");
    }

    private static Path target(Path kubelet, String id) {
        return kubelet.resolve("pods/bench-pod/volumes/kubernetes.io~csi/" + id + "/mount");
    }

    /** The block device behind a published target: /dev/NAME of the target's device number. */
    private static String device(Path target) throws IOException {
        long rdev = ((Number) Files.getAttribute(target, "unix:rdev", LinkOption.NOFOLLOW_LINKS)).longValue();
        // glibc's dev_t layout (gnu_dev_major/minor): the major in bits 8-19 and 32-43, the minor in 0-7 and 20-31
        long major = ((rdev >>> 8) & 0xfffL) | ((rdev >>> 32) & ~0xfffL);
        long minor = (rdev & 0xffL) | ((rdev >>> 12) & 0xffffff00L);
        Path uevent = Path.of("/sys/dev/block/" + major + ":" + minor + "/uevent");
        for (String line : Files.readAllLines(uevent)) {
            if (line.startsWith("DEVNAME=")) {
                return "/dev/" + line.substring("DEVNAME=".length());
            }
        }
        throw new IOException("no DEVNAME in " + uevent + " for the published target " + target);
    }
}
