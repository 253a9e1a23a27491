package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerGrpc;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code bin/vdisk-csi standalone} process under a test directory (pool, state and kubelet dirs inside it), with
 * stubs on its socket and the kubelet's stage/publish sequence; {@link #stop} checks it exits 0 and leaves no mount or
 * loop device behind. The standalone twin of {@link NodeFixture}.
 */
final class StandaloneFixture {
    static final String NODE = "e2e-node";

    private final Path dir;
    private final LauncherProcess process;
    final ManagedChannel channel;
    final ControllerGrpc.ControllerBlockingStub controller;
    final NodeGrpc.NodeBlockingStub node;

    private StandaloneFixture(Path dir, LauncherProcess process, ManagedChannel channel) {
        this.dir = dir;
        this.process = process;
        this.channel = channel;
        this.controller = ControllerGrpc.newBlockingStub(channel);
        this.node = NodeGrpc.newBlockingStub(channel);
    }

    /** Starts the process on a pool of {@code poolSize} (e.g. "1G") and waits until it serves. */
    static StandaloneFixture start(Path dir, String poolSize, String... extraFlags) throws Exception {
        Path socket = dir.resolve("run/csi.sock");
        Files.createDirectories(dir.resolve("kubelet"));
        List<String> args = new ArrayList<>(List.of(
                "standalone",
                "--endpoint",
                "unix://" + socket,
                "--node-id",
                NODE,
                "--pool",
                dir.resolve("pool").toString(),
                "--pool-size",
                poolSize,
                "--state-dir",
                dir.resolve("state").toString(),
                "--kubelet-dir",
                dir.resolve("kubelet").toString()));
        args.addAll(List.of(extraFlags));
        LauncherProcess process = LauncherProcess.start(dir, socket, args.toArray(String[]::new));
        return new StandaloneFixture(dir, process, process.awaitReady());
    }

    /** SIGKILL: no cleanup at all; start another fixture on the same directory to go on. */
    void kill() throws InterruptedException {
        process.kill();
    }

    /** SIGTERM must end the process with 0; whatever happens, nothing may stay mounted or attached under the dir. */
    static void stop(StandaloneFixture f, Path dir) throws Exception {
        try {
            if (f != null) {
                assertEquals(0, f.process.terminate(), f.process.stderr());
            }
        } finally {
            if (f != null) {
                f.process.close();
            }
            KernelView.cleanUpUnder(dir);
        }
        assertTrue(KernelView.under(dir).isEmpty(), "leaked: " + KernelView.under(dir));
    }

    /** Ends the process (SIGTERM, then SIGKILL) without checks: cleanup after a failure. */
    void close() {
        process.close();
    }

    String stderr() {
        return process.stderr();
    }

    Path staging(String id) {
        return dir.resolve("kubelet/plugins/kubernetes.io/csi/vdisk.csi.dev/" + id + "/globalmount");
    }

    Path target(String id) {
        return dir.resolve("kubelet/pods/pod-1/volumes/kubernetes.io~csi/" + id + "/mount");
    }

    /** Stages (formatting a blank mount volume) and publishes as the kubelet does; returns the target path. */
    Path attach(String id, VolumeCapability capability) throws IOException {
        Files.createDirectories(target(id).getParent());
        node.nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                .setVolumeId(id)
                .setStagingTargetPath(staging(id).toString())
                .setVolumeCapability(capability)
                .build());
        node.nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                .setVolumeId(id)
                .setStagingTargetPath(staging(id).toString())
                .setTargetPath(target(id).toString())
                .setVolumeCapability(capability)
                .build());
        return target(id);
    }

    void detach(String id) {
        node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                .setVolumeId(id)
                .setTargetPath(target(id).toString())
                .build());
        node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                .setVolumeId(id)
                .setStagingTargetPath(staging(id).toString())
                .build());
    }
}
