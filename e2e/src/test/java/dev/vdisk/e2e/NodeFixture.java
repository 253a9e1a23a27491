package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code bin/vdisk-csi node} as a real process with its own pool, state and kubelet directories under a test
 * directory, a Node stub on its socket, and request builders shaped like the kubelet's. Volumes are created with the
 * engine API while the process is stopped (node mode has no Controller, and the pool is locked while it runs).
 * Optionally a descriptor holder process ({@link #startHolder}) that the node is pointed at.
 * {@link #close} stops every process and unmounts and detaches whatever is left under the directory.
 */
final class NodeFixture implements AutoCloseable {
    static final String DRIVER = "vdisk.csi.dev";

    final Path dir;
    final Path pool;
    final Path state;
    final Path kubelet;
    private final Path socket;
    private final List<LauncherProcess> started = new ArrayList<>();
    private LauncherProcess process;
    private Path holderSocket;
    private LauncherProcess holder;
    NodeGrpc.NodeBlockingStub node;

    NodeFixture(Path dir) throws IOException {
        this.dir = dir.toAbsolutePath().normalize();
        this.pool = this.dir.resolve("pool");
        this.state = this.dir.resolve("state");
        this.kubelet = this.dir.resolve("kubelet");
        this.socket = this.dir.resolve("run/csi.sock");
        Files.createDirectories(kubelet);
    }

    /** Creates the pool and the volumes (name, size) with the engine, then closes it. */
    void createPool(long size, Object... namesAndSizes) {
        try (Pool p = Pool.create(pool, PoolSpec.ofSize(size))) {
            for (int i = 0; i < namesAndSizes.length; i += 2) {
                p.vdisks().create((String) namesAndSizes[i], (Long) namesAndSizes[i + 1]);
            }
        }
    }

    /** Opens the pool with the engine (the process must be stopped), applies {@code f}, closes it. */
    <T> T withPool(Function<Pool, T> f) {
        try (Pool p = Pool.open(pool)) {
            return f.apply(p);
        }
    }

    /**
     * Starts {@code bin/vdisk-csi fd-holder} with its socket in the state directory (as the chart places it) and
     * waits for the socket; every later {@link #start} passes {@code --fd-holder} to the node.
     */
    void startHolder() throws Exception {
        holderSocket = state.resolve("fd-holder/holder.sock");
        // the chart's hostPath makes the state directory before either pod starts
        Files.createDirectories(
                state, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        holder = LauncherProcess.startHolder(dir, holderSocket);
        started.add(holder);
    }

    /** SIGTERM to the holder; it must exit 0. */
    void stopHolder() throws Exception {
        assertEquals(0, holder.terminate(), holder.stderr());
    }

    void start() throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "node",
                "--endpoint",
                "unix://" + socket,
                "--node-id",
                "e2e-node",
                "--pool",
                pool.toString(),
                "--state-dir",
                state.toString(),
                "--kubelet-dir",
                kubelet.toString(),
                "--max-volumes",
                "8"));
        if (holderSocket != null) {
            args.addAll(List.of("--fd-holder", holderSocket.toString()));
        }
        process = LauncherProcess.start(dir, socket, args.toArray(String[]::new));
        started.add(process);
        node = NodeGrpc.newBlockingStub(process.awaitReady());
    }

    /** SIGTERM; the process must exit 0. */
    void stop() throws Exception {
        assertEquals(0, process.terminate(), process.stderr());
    }

    /** SIGKILL: no cleanup at all. */
    void kill() throws Exception {
        process.kill();
    }

    String stderr() {
        return process.stderr();
    }

    /** The last {@code lines} lines of every process this fixture started, oldest first (for failure messages). */
    String logs(int lines) {
        StringBuilder out = new StringBuilder();
        for (LauncherProcess p : started) {
            List<String> all = p.stderr().lines().toList();
            out.append("== pid ")
                    .append(p.pid())
                    .append(p == holder ? " (holder)" : " (node)")
                    .append('\n');
            all.subList(Math.max(0, all.size() - lines), all.size())
                    .forEach(l -> out.append(l).append('\n'));
        }
        return out.toString();
    }

    Path staging(String volumeId) {
        return kubelet.resolve("plugins/kubernetes.io/csi/" + DRIVER + "/" + volumeId + "/globalmount");
    }

    /** A pod's target; for block volumes the parent exists and the file does not (as the kubelet leaves it). */
    Path target(String volumeId, int pod) throws IOException {
        Path t = kubelet.resolve("pods/pod-" + pod + "/volumes/kubernetes.io~csi/" + volumeId + "/mount");
        Files.createDirectories(t.getParent());
        return t;
    }

    static VolumeCapability mount(String fsType, String... flags) {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder()
                        .setFsType(fsType)
                        .addAllMountFlags(List.of(flags)))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_MULTI_WRITER))
                .build();
    }

    static VolumeCapability block() {
        return VolumeCapability.newBuilder()
                .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_MULTI_WRITER))
                .build();
    }

    NodeStageVolumeRequest stageRequest(String volumeId, VolumeCapability cap) {
        return NodeStageVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setStagingTargetPath(staging(volumeId).toString())
                .setVolumeCapability(cap)
                .build();
    }

    void stage(String volumeId, VolumeCapability cap) {
        node.nodeStageVolume(stageRequest(volumeId, cap));
    }

    void unstage(String volumeId) {
        node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setStagingTargetPath(staging(volumeId).toString())
                .build());
    }

    NodePublishVolumeRequest publishRequest(String volumeId, Path target, VolumeCapability cap, boolean readOnly) {
        return NodePublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setStagingTargetPath(staging(volumeId).toString())
                .setTargetPath(target.toString())
                .setVolumeCapability(cap)
                .setReadonly(readOnly)
                .build();
    }

    void publish(String volumeId, Path target, VolumeCapability cap, boolean readOnly) {
        node.nodePublishVolume(publishRequest(volumeId, target, cap, readOnly));
    }

    void unpublish(String volumeId, Path target) {
        node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setTargetPath(target.toString())
                .build());
    }

    KernelView.Snapshot kernel() {
        return KernelView.under(dir);
    }

    @Override
    public void close() {
        // the node before the holder: a node stopping with volumes staged hands them to the holder first
        for (LauncherProcess p : started.reversed()) {
            p.close();
        }
        KernelView.cleanUpUnder(dir);
    }
}
