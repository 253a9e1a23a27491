package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.NodeExpandVolumeRequest;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.vdisk.node.testing.Privileged;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each wrong argument gets the spec's status code with a message naming the problem, and leaves the kernel as it
 * was: no mount and no loop device appears or disappears because of a rejected call.
 */
@ExtendWith(Privileged.class)
class NodeBadInputIT {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private NodeFixture f;

    @AfterEach
    void cleanUp() {
        if (f != null) {
            f.close();
        }
        assertTrue(KernelView.under(dir).isEmpty(), "leaked: " + KernelView.under(dir));
    }

    /** The call fails with {@code code}, its description contains {@code words}, and the kernel did not change. */
    private void rejected(Status.Code code, String words, Executable call) {
        KernelView.Snapshot before = f.kernel();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(words), "'" + words + "' not in " + e.getStatus());
        assertEquals(before, f.kernel(), "a rejected call changed mounts or loop devices");
    }

    private static VolumeCapability mode(Mode mode) {
        return NodeFixture.mount("ext4").toBuilder()
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }

    @Test
    void everyBadArgumentHasItsCodeAndChangesNothing() throws Exception {
        f = new NodeFixture(dir);
        f.createPool(1024 * MIB, "v", 64 * MIB, "w", 320 * MIB);
        f.start();
        VolumeCapability ext4 = NodeFixture.mount("ext4");
        NodeStageVolumeRequest good = f.stageRequest("v", ext4);
        Path outside = Files.createDirectories(dir.resolve("outside"));

        // NodeStageVolume: required fields, capability, paths, unknown volume
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "volume_id missing in request",
                () -> f.node.nodeStageVolume(good.toBuilder().clearVolumeId().build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "staging_target_path missing in request",
                () -> f.node.nodeStageVolume(
                        good.toBuilder().clearStagingTargetPath().build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "volume_capability missing in request",
                () -> f.node.nodeStageVolume(
                        good.toBuilder().clearVolumeCapability().build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "access_type missing",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setVolumeCapability(ext4.toBuilder().clearMount())
                        .build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "access_mode missing",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setVolumeCapability(ext4.toBuilder().clearAccessMode())
                        .build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "MULTI_NODE_MULTI_WRITER is not supported",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setVolumeCapability(mode(Mode.MULTI_NODE_MULTI_WRITER))
                        .build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "fs_type btrfs is not supported",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setVolumeCapability(NodeFixture.mount("btrfs"))
                        .build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "outside the kubelet directory",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setStagingTargetPath(outside.toString())
                        .build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "outside the kubelet directory",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setStagingTargetPath(f.kubelet + "/../outside")
                        .build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "not an absolute path",
                () -> f.node.nodeStageVolume(
                        good.toBuilder().setStagingTargetPath("kubelet/x").build()));
        Files.createSymbolicLink(f.kubelet.resolve("escape"), outside);
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "symbolic link",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setStagingTargetPath(f.kubelet + "/escape/globalmount")
                        .build()));
        assertEquals(0, Files.list(outside).count(), "nothing created through the link");
        rejected(
                Status.Code.NOT_FOUND,
                "does not exist",
                () -> f.node.nodeStageVolume(
                        good.toBuilder().setVolumeId("no-such-volume").build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "the kubelet directory itself",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setStagingTargetPath(f.kubelet.toString())
                        .build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "the kubelet's own",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setStagingTargetPath(f.kubelet + "/plugins")
                        .build()));

        // NodePublishVolume before staging, and its own required fields
        Path target = f.target("v", 1);
        NodePublishVolumeRequest publish = f.publishRequest("v", target, ext4, false);
        rejected(Status.Code.FAILED_PRECONDITION, "not staged", () -> f.node.nodePublishVolume(publish));
        rejected(
                Status.Code.NOT_FOUND,
                "does not exist",
                () -> f.node.nodePublishVolume(
                        publish.toBuilder().setVolumeId("no-such-volume").build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "target_path missing in request",
                () -> f.node.nodePublishVolume(
                        publish.toBuilder().clearTargetPath().build()));
        rejected(
                Status.Code.FAILED_PRECONDITION,
                "staging_target_path missing in request",
                () -> f.node.nodePublishVolume(
                        publish.toBuilder().clearStagingTargetPath().build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "volume_capability missing in request",
                () -> f.node.nodePublishVolume(
                        publish.toBuilder().clearVolumeCapability().build()));
        for (String kubeletOwn : new String[] {"/pods", "/pods/pod-1", "/pods/pod-1/volumes/kubernetes.io~csi"}) {
            rejected(
                    Status.Code.INVALID_ARGUMENT,
                    "the kubelet's own",
                    () -> f.node.nodePublishVolume(publish.toBuilder()
                            .setTargetPath(f.kubelet + kubeletOwn)
                            .build()));
        }

        // the undo calls of something that is not there succeed and change nothing
        KernelView.Snapshot idle = f.kernel();
        f.unpublish("v", target);
        f.unstage("v");
        f.unstage("no-such-volume");
        assertEquals(idle, f.kernel());
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "target_path missing in request",
                () -> f.node.nodeUnpublishVolume(
                        NodeUnpublishVolumeRequest.newBuilder().setVolumeId("v").build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "volume_id missing in request",
                () -> f.node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setStagingTargetPath(f.staging("v").toString())
                        .build()));

        // stats and expand
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "volume_path missing in request",
                () -> f.node.nodeGetVolumeStats(
                        NodeGetVolumeStatsRequest.newBuilder().setVolumeId("v").build()));
        rejected(
                Status.Code.NOT_FOUND,
                "not staged",
                () -> f.node.nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId("no-such-volume")
                        .setVolumePath(target.toString())
                        .build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "volume_path missing in request",
                () -> f.node.nodeExpandVolume(
                        NodeExpandVolumeRequest.newBuilder().setVolumeId("v").build()));
        rejected(
                Status.Code.NOT_FOUND,
                "does not exist",
                () -> f.node.nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId("no-such-volume")
                        .setVolumePath(target.toString())
                        .build()));

        // against a staged volume: incompatible second stage, access type mismatch, incompatible second publish
        f.stage("v", ext4);
        rejected(
                Status.Code.ALREADY_EXISTS,
                "the request asks for xfs",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setVolumeCapability(NodeFixture.mount("xfs"))
                        .build()));
        rejected(
                Status.Code.ALREADY_EXISTS,
                "the request asks for block",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setVolumeCapability(NodeFixture.block())
                        .build()));
        rejected(
                Status.Code.FAILED_PRECONDITION,
                "already staged at",
                () -> f.node.nodeStageVolume(good.toBuilder()
                        .setStagingTargetPath(f.kubelet + "/other")
                        .build()));
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "staged as a mount volume",
                () -> f.node.nodePublishVolume(publish.toBuilder()
                        .setVolumeCapability(NodeFixture.block())
                        .build()));
        rejected(
                Status.Code.FAILED_PRECONDITION,
                "is staged at",
                () -> f.node.nodePublishVolume(publish.toBuilder()
                        .setStagingTargetPath(f.kubelet + "/other")
                        .build()));
        f.publish("v", target, ext4, false);
        rejected(
                Status.Code.ALREADY_EXISTS,
                "differs in readonly",
                () -> f.node.nodePublishVolume(
                        publish.toBuilder().setReadonly(true).build()));
        rejected(
                Status.Code.FAILED_PRECONDITION,
                "still published",
                () -> f.node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId("v")
                        .setStagingTargetPath(f.staging("v").toString())
                        .build()));
        rejected(
                Status.Code.NOT_FOUND,
                "is not at",
                () -> f.node.nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId("v")
                        .setVolumePath(f.kubelet + "/elsewhere")
                        .build()));
        // spec (and csi-sanity): a volume_path the volume is not at is NOT_FOUND, even a relative one
        rejected(
                Status.Code.NOT_FOUND,
                "is not at",
                () -> f.node.nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId("v")
                        .setVolumePath("some/path")
                        .build()));
        rejected(
                Status.Code.NOT_FOUND,
                "is not at",
                () -> f.node.nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId("v")
                        .setVolumePath("some/path")
                        .build()));
        // a file where the target directory belongs: named, not INTERNAL
        Path fileTarget = f.target("v", 2);
        Files.createFile(fileTarget);
        rejected(
                Status.Code.INVALID_ARGUMENT,
                "exists and is not a directory",
                () -> f.node.nodePublishVolume(f.publishRequest("v", fileTarget, ext4, false)));
        Files.delete(fileTarget);
        rejected(
                Status.Code.OUT_OF_RANGE,
                "above limit_bytes",
                () -> f.node.nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId("v")
                        .setVolumePath(target.toString())
                        .setCapacityRange(CapacityRange.newBuilder()
                                .setRequiredBytes(128 * MIB)
                                .setLimitBytes(96 * MIB))
                        .build()));
        f.unpublish("v", target);
        f.unstage("v");

        // never format over a signature: w gets an xfs filesystem as a raw block volume, then is staged as ext4
        Path raw = f.target("w", 1);
        f.stage("w", NodeFixture.block());
        f.publish("w", raw, NodeFixture.block(), false);
        KernelView.run("mkfs.xfs", "-q", "-f", raw.toString());
        f.unpublish("w", raw);
        f.unstage("w");
        rejected(
                Status.Code.FAILED_PRECONDITION,
                "refusing to format over an existing signature",
                () -> f.node.nodeStageVolume(f.stageRequest("w", ext4)));
        f.stage("w", NodeFixture.mount("xfs")); // what it really holds mounts fine
        assertEquals(
                "xfs",
                KernelView.run("findmnt", "-n", "-o", "FSTYPE", f.staging("w").toString())
                        .strip());
        f.unstage("w");
        assertEquals(idle, f.kernel(), "back to nothing but the FUSE mount");
    }
}
