package dev.vdisk.e2e.kube;

import csi.v1.NodeGetInfoRequest;
import csi.v1.NodeGetInfoResponse;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.vdisk.e2e.KernelView;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.storage.CSINodeBuilder;
import io.fabric8.kubernetes.api.model.storage.CSINodeDriverBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node: {@code bin/vdisk-csi node} with the DaemonSet's flags and the node service account's token, plus what
 * the kubelet and node-driver-registrar would do for it once the driver answers: the Node object with the topology
 * labels and the CSINode from NodeGetInfo, and the Node-service calls for stage and publish over the node socket.
 */
final class DriverNode implements AutoCloseable {

    static final String DRIVER = "vdisk.csi.dev";

    private final String name;
    private final Path dir;
    private final ChildProcess process;
    private final CsiSocket socket;
    private final NodeGrpc.NodeBlockingStub node;

    private DriverNode(String name, Path dir, ChildProcess process, CsiSocket socket) {
        this.name = name;
        this.dir = dir;
        this.process = process;
        this.socket = socket;
        this.node = NodeGrpc.newBlockingStub(socket.channel());
    }

    static DriverNode start(String name, Path base, PodSpec daemonSet, ControlPlane plane, Path launcher, Path tls)
            throws Exception {
        KubernetesClient admin = plane.admin();
        Path dir = base.resolve(name);
        Files.createDirectories(dir.resolve("kubelet"));
        Path kubeconfig = plane.kubeconfig(
                name, plane.token(RealCluster.NAMESPACE, "vdisk-csi-node", null), RealCluster.NAMESPACE);
        int agentPort = ControlPlane.freePort();
        Map<String, String> replace = new LinkedHashMap<>();
        replace.put("/csi/csi.sock", dir.resolve("csi.sock").toString());
        replace.put("$(NODE_NAME)", name);
        replace.put("0.0.0.0:9810", "127.0.0.1:" + agentPort);
        replace.put("$(POD_IP):9810", "127.0.0.1:" + agentPort);
        replace.put("0.0.0.0:9811", "127.0.0.1:" + ControlPlane.freePort());
        replace.put("/var/lib/vdisk-csi/pool", dir.resolve("pool").toString());
        replace.put("/run/vdisk-csi", dir.resolve("state").toString());
        replace.put("/var/lib/kubelet", dir.resolve("kubelet").toString());
        replace.put("/etc/vdisk-csi/agent-api-tls", tls.toString());
        ChartContainer chart = ChartContainer.of(
                daemonSet,
                "vdisk-csi",
                replace,
                Map.of(
                        "spec.nodeName",
                        name,
                        "status.podIP",
                        "127.0.0.1",
                        "metadata.namespace",
                        RealCluster.NAMESPACE));
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(chart.args());
        command.add("--kubeconfig=" + kubeconfig);
        command.add("--pool-size=2G");
        ChildProcess process = ChildProcess.start("node-" + name, base, command, chart.env());
        CsiSocket socket = new CsiSocket(dir.resolve("csi.sock"));
        DriverNode driverNode = new DriverNode(name, dir, process, socket);
        try {
            socket.awaitReady(process, Duration.ofSeconds(90));
            driverNode.register(admin);
            return driverNode;
        } catch (Exception | Error e) {
            driverNode.close();
            throw e;
        }
    }

    /** What node-driver-registrar and the kubelet do with NodeGetInfo: topology labels and the CSINode. */
    private void register(KubernetesClient admin) {
        NodeGetInfoResponse info = node.nodeGetInfo(NodeGetInfoRequest.getDefaultInstance());
        Map<String, String> segments = info.getAccessibleTopology().getSegmentsMap();
        // createOr(update): a second start after a failed one finds the objects there
        admin.nodes()
                .resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .addToLabels("kubernetes.io/hostname", name)
                        .addToLabels(segments)
                        .endMetadata()
                        .build())
                .createOr(NonDeletingOperation::update);
        admin.storage()
                .v1()
                .csiNodes()
                .resource(new CSINodeBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .withNewSpec()
                        .withDrivers(new CSINodeDriverBuilder()
                                .withName(DRIVER)
                                .withNodeID(info.getNodeId())
                                .withTopologyKeys(List.copyOf(segments.keySet()))
                                .withNewAllocatable()
                                .withCount((int) info.getMaxVolumesPerNode())
                                .endAllocatable()
                                .build())
                        .endSpec()
                        .build())
                .createOr(NonDeletingOperation::update);
    }

    String name() {
        return name;
    }

    ChildProcess process() {
        return process;
    }

    static VolumeCapability mount(String fsType) {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fsType))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER))
                .build();
    }

    /** The kubelet's staging path for a volume (a hash of its handle, as Kubernetes 1.24 makes it). */
    Path staging(PersistentVolume pv) {
        String handle = pv.getSpec().getCsi().getVolumeHandle();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(handle.getBytes(StandardCharsets.UTF_8));
            return dir.resolve("kubelet/plugins/kubernetes.io/csi/" + DRIVER + "/"
                    + HexFormat.of().formatHex(digest) + "/globalmount");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    Path target(PersistentVolume pv, String podUid) throws IOException {
        Path target = dir.resolve("kubelet/pods/" + podUid + "/volumes/kubernetes.io~csi/"
                + pv.getMetadata().getName() + "/mount");
        Files.createDirectories(target.getParent());
        return target;
    }

    void stage(PersistentVolume pv) throws IOException {
        Path staging = staging(pv);
        Files.createDirectories(staging);
        var csi = pv.getSpec().getCsi();
        node.nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                .setVolumeId(csi.getVolumeHandle())
                .setStagingTargetPath(staging.toString())
                .setVolumeCapability(mount(csi.getFsType()))
                .putAllVolumeContext(csi.getVolumeAttributes() == null ? Map.of() : csi.getVolumeAttributes())
                .build());
    }

    /** Stages and publishes for one pod; returns the pod's mount. */
    Path stageAndPublish(PersistentVolume pv, String podUid) throws IOException {
        stage(pv);
        Path target = target(pv, podUid);
        var csi = pv.getSpec().getCsi();
        node.nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                .setVolumeId(csi.getVolumeHandle())
                .setStagingTargetPath(staging(pv).toString())
                .setTargetPath(target.toString())
                .setVolumeCapability(mount(csi.getFsType()))
                .putAllVolumeContext(csi.getVolumeAttributes() == null ? Map.of() : csi.getVolumeAttributes())
                .build());
        return target;
    }

    void unpublishAndUnstage(PersistentVolume pv, String podUid) throws IOException {
        String handle = pv.getSpec().getCsi().getVolumeHandle();
        node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                .setVolumeId(handle)
                .setTargetPath(target(pv, podUid).toString())
                .build());
        node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                .setVolumeId(handle)
                .setStagingTargetPath(staging(pv).toString())
                .build());
    }

    NodeGrpc.NodeBlockingStub stub() {
        return node;
    }

    /** Mounts and loop devices the node left under its directories. */
    KernelView.Snapshot leftovers() {
        return KernelView.under(dir);
    }

    @Override
    public void close() {
        socket.close();
        process.close();
        KernelView.cleanUpUnder(dir);
        deleteTree(dir.resolve("pool"));
    }

    /** The pool is sparse but large: it goes with the node; the logs stay for a look after a failure. */
    private static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("could not delete " + root + ": " + e);
        }
    }
}
