package dev.vdisk.node.testing;

import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/** Calls a Node service method in-process and builds the requests the tests send. */
public final class NodeCalls {
    private NodeCalls() {}

    /** A Node RPC as a method reference ({@code node::nodeStageVolume}). */
    public interface Rpc<Q, R> {
        void call(Q request, StreamObserver<R> response);
    }

    /** The response; an error the method reported fails the test. */
    public static <Q, R> R call(Rpc<Q, R> rpc, Q request) {
        AtomicReference<R> out = new AtomicReference<>();
        rpc.call(request, new StreamObserver<>() {
            @Override
            public void onNext(R value) {
                out.set(value);
            }

            @Override
            public void onError(Throwable t) {
                throw new AssertionError(t);
            }

            @Override
            public void onCompleted() {}
        });
        return out.get();
    }

    public static VolumeCapability ext4() {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
                .setAccessMode(writer())
                .build();
    }

    public static VolumeCapability block() {
        return VolumeCapability.newBuilder()
                .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                .setAccessMode(writer())
                .build();
    }

    private static VolumeCapability.AccessMode writer() {
        return VolumeCapability.AccessMode.newBuilder()
                .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)
                .build();
    }

    public static NodeStageVolumeRequest stage(String id, Path staging, VolumeCapability cap) {
        return NodeStageVolumeRequest.newBuilder()
                .setVolumeId(id)
                .setStagingTargetPath(staging.toString())
                .setVolumeCapability(cap)
                .build();
    }

    public static NodeUnstageVolumeRequest unstage(String id, Path staging) {
        return NodeUnstageVolumeRequest.newBuilder()
                .setVolumeId(id)
                .setStagingTargetPath(staging.toString())
                .build();
    }

    public static NodeGetVolumeStatsRequest stats(String id, Path path) {
        return NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId(id)
                .setVolumePath(path.toString())
                .build();
    }
}
