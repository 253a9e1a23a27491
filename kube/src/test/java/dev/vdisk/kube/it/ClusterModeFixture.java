package dev.vdisk.kube.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import csi.v1.CapacityRange;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.Snapshot;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeContentSource;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.controller.metadata.SnapshotMetadataService;
import dev.vdisk.controller.service.CloneSplitHook;
import dev.vdisk.controller.service.ControllerService;
import dev.vdisk.kube.agentapi.AgentApiClient;
import dev.vdisk.kube.agentapi.TestTokens;
import dev.vdisk.kube.agentapi.TokenFile;
import dev.vdisk.kube.cli.KubectlVdisk;
import dev.vdisk.kube.controller.AgentApiExtents;
import dev.vdisk.kube.controller.LeaderElection;
import dev.vdisk.kube.controller.ResourceNodeAgents;
import dev.vdisk.kube.node.NodeClusterAgent;
import dev.vdisk.kube.node.NodeClusterConfig;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestSpec;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.split.SplitRequestController;
import dev.vdisk.kube.testing.Await;
import dev.vdisk.kube.testing.TokenReviews;
import dev.vdisk.node.agent.AgentConfig;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The three sides of cluster mode together, each with its own client (its User-Agent tells its requests apart) on
 * one mock API server in CRUD mode with the generated CRDs: the real node agent ({@link NodeAgent} on a real pool,
 * joined by {@link NodeClusterAgent}, internal API on), the real Controller and SnapshotMetadata services over
 * {@link ResourceNodeAgents} and the node's internal API as the launcher's ControllerCluster assembles them, the
 * leader (a {@link LeaderElection} on a Lease) running the real {@link SplitRequestController}, and
 * {@code kubectl vdisk} run in-process. Nothing is simulated but the kubelet (the test writes and reads volumes
 * through the node agent's staging, as NodeStage would: {@link KubeletPart}) and TokenReview (answered by an
 * expectation). Each test starts them all and stops them all; every request they made must be declared.
 */
@ExtendWith(Privileged.class)
@EnableKubernetesMockClient(crud = true)
abstract class ClusterModeFixture {

    static {
        // the mock server and the clients log every request: thousands of lines that slow the test down
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.fabric8"))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    static final long MIB = 1 << 20;
    static final String NODE = "n1";
    static final String DRIVER = "vdisk.csi.dev";
    static final String NS = "team-a";
    static final String CONTROLLER_SA = "system:serviceaccount:kube-system:vdisk-csi-controller";
    static final String TOKEN = TestTokens.jwt("controller");

    static final VolumeCapability MOUNT = VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
            .build();

    /** Set by the mock server's extension. */
    KubernetesMockServer server;
    /** Set by the mock server's extension. */
    KubernetesClient client;

    @TempDir
    Path dir;

    DeclaredAccess accesses;
    int port;
    AtomicInteger reviews;
    KubernetesClient nodeClient;
    KubernetesClient controllerClient;
    NodeAgent agent;
    NodeClusterAgent node;
    AgentApiClient agentApi;
    LeaderElection election;
    ControllerService controller;
    SnapshotMetadataService metadata;
    long usedWhenEmpty;
    NodeClusterConfig nodeConfig;
    long t0;
    KubeletPart kubelet;

    /** The three sides, started as their launchers start them, the controller the elected leader. */
    @BeforeEach
    void start() throws Exception {
        accesses = new DeclaredAccess(server);
        ClusterApiServer.installCrds(client);
        reviews = TokenReviews.answer(server, client, TOKEN::equals, CONTROLLER_SA);
        port = freePort();
        nodeConfig = NodeClusterConfig.of(
                        NODE, "127.0.0.1:" + port, "127.0.0.1:" + port, "kube-system:vdisk-csi-controller")
                .withIntervals(Duration.ofMillis(500), Duration.ofMillis(200), Duration.ofMinutes(5));
        Path token = dir.resolve("agent-api-token");
        Files.writeString(token, TOKEN + "\n");
        nodeClient = clientAs("vdisk-csi-node");
        controllerClient = clientAs("vdisk-csi-controller");
        agent = startAgent();
        kubelet = new KubeletPart(() -> agent, this::awaitUnstagedStatus);
        usedWhenEmpty = agent.capacity().usedBytes();
        t0 = System.nanoTime();
        node = NodeClusterAgent.start(nodeClient, nodeConfig, agent);
        agentApi = new AgentApiClient(new TokenFile(token));
        election = new LeaderElection(
                        controllerClient,
                        "kube-system",
                        "vdisk-csi-controller",
                        "controller-0",
                        LeaderElection.Timing.DEFAULT,
                        List.of(() -> SplitRequestController.start(controllerClient, DRIVER)))
                .start();
        ResourceNodeAgents agents = new ResourceNodeAgents(
                controllerClient, Duration.ofSeconds(20), new AgentApiExtents(controllerClient, agentApi));
        controller = new ControllerService(agents, CloneSplitHook.startingOn(agents));
        metadata = new SnapshotMetadataService(agents);
        await(
                "node n1 publishes its VdiskNode",
                () -> vdiskNode() != null && vdiskNode().getStatus() != null,
                this::vdiskNode);
        await("the controller is the leader", election::isLeader, () -> "not leader");
    }

    /** Stops all in order (leader, controller clients, node side, agent), leaves nothing mounted, checks access. */
    @AfterEach
    void stop() throws Exception {
        try (AutoCloseable c1 = nodeClient;
                AutoCloseable c2 = controllerClient;
                AutoCloseable a = agent;
                AutoCloseable n = node;
                AutoCloseable api = agentApi;
                AutoCloseable e = election) {
            // closed in reverse order
        } finally {
            LeakCheck.unmountAllUnder(dir);
            LeakCheck.assertNothingLeftUnder(dir);
        }
        accesses.collect();
        accesses.assertDeclared();
    }

    NodeAgent startAgent() throws IOException {
        return NodeAgent.start(new AgentConfig(
                dir.resolve("pool"),
                OptionalLong.of(256 * MIB),
                dir.resolve("state"),
                dir.resolve("kubelet"),
                NODE,
                4,
                FuseConfig.defaults().withWorkers(2)));
    }

    // ------------------------------------------------------------------------------------------ CSI and plugin

    static CreateVolumeRequest create(String name) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(MOUNT)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(16 * MIB))
                .build();
    }

    static CreateVolumeRequest cloneOf(String name, String snapshotId) {
        return create(name).toBuilder()
                .setVolumeContentSource(VolumeContentSource.newBuilder()
                        .setSnapshot(
                                VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(snapshotId)))
                .build();
    }

    /** A source volume, 4 MiB of random data written into it, and its snapshot {@code snap-1}. */
    record Written(Volume source, byte[] data, Snapshot snap) {}

    /** What most tests start from: volume {@code pvc-src} with 4 MiB of data from {@code seed}, and a snapshot. */
    Written writtenSourceAndSnapshot(long seed) throws IOException {
        Volume source = call(controller::createVolume, create("pvc-src")).getVolume();
        byte[] data = new byte[(int) (4 * MIB)];
        new Random(seed).nextBytes(data);
        kubelet.write(source.getVolumeId(), data);
        return new Written(source, data, snapshot(source.getVolumeId()));
    }

    /** CreateSnapshot {@code snap-1} of the volume. */
    Snapshot snapshot(String volumeId) {
        return call(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-1")
                                .setSourceVolumeId(volumeId)
                                .build())
                .getSnapshot();
    }

    /** Creates SplitRequest {@code <pvc>-split} of the PVC, as a user would. */
    void requestSplit(String pvc, String mode, Long rateBytesPerSecond) {
        SplitRequest request = new SplitRequest();
        request.setMetadata(new ObjectMetaBuilder()
                .withName(pvc + "-split")
                .withNamespace(NS)
                .build());
        request.setSpec(new SplitRequestSpec(pvc, mode, rateBytesPerSecond));
        client.resources(SplitRequest.class).inNamespace(NS).resource(request).create();
    }

    /** Waits until the split request reports progress. */
    void awaitSplitRuns(String name) {
        await(
                "the split runs",
                () -> splitRequest(name).getStatus() != null
                        && splitRequest(name).getStatus().percent() > 0,
                () -> splitRequest(name).getStatus());
    }

    /** Deletes the volumes, then the snapshot, through the controller; the pool ends with neither. */
    void deleteAll(Snapshot snap, Volume... volumes) throws InterruptedException {
        for (Volume v : volumes) {
            deleteVolume(v.getVolumeId());
        }
        call(
                controller::deleteSnapshot,
                DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId(snap.getSnapshotId())
                        .build());
        assertEquals(List.of(), agent.listVolumes());
        assertEquals(List.of(), agent.listSnapshots());
    }

    /**
     * DeleteVolume as the external-provisioner sends it: again while the refusal says the volume is staged. A status
     * the node computed while the test had the volume staged can land just after the unstage; the node's staged
     * check corrects it within a heartbeat, and a CO retries until then.
     */
    void deleteVolume(String volumeId) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                call(
                        controller::deleteVolume,
                        DeleteVolumeRequest.newBuilder().setVolumeId(volumeId).build());
                return;
            } catch (AgentException e) {
                if (e.reason() != AgentReason.FAILED_PRECONDITION || System.nanoTime() > end) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    /** Calls a CSI method directly; what it throws fails the test as it is. */
    static <Q, R> R call(BiConsumer<Q, StreamObserver<R>> method, Q request) {
        List<R> out = new ArrayList<>();
        method.accept(request, collect(out));
        return out.getFirst();
    }

    static <R> StreamObserver<R> collect(List<R> out) {
        return new StreamObserver<>() {
            @Override
            public void onNext(R value) {
                out.add(value);
            }

            @Override
            public void onError(Throwable t) {
                throw new IllegalStateException(t);
            }

            @Override
            public void onCompleted() {}
        };
    }

    /** One run of {@code kubectl vdisk}. */
    record Plugin(int exit, String out, String err) {}

    Plugin plugin(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = KubectlVdisk.run(
                args,
                () -> clientAs("kubectl-vdisk"),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false,
                Duration.ofMillis(20));
        return new Plugin(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------------------------------ API server

    KubernetesClient clientAs(String userAgent) {
        return new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(client.getConfiguration())
                        .withUserAgent(userAgent)
                        .build())
                .build();
    }

    /**
     * The node reports the volume unstaged again (the controller refuses DeleteVolume while its status says staged;
     * a status written while the test had it staged must not stay so).
     */
    void awaitUnstagedStatus(String volumeId) {
        await(
                "VdiskVolume " + volumeId + " reported unstaged",
                () -> volume(volumeId) == null
                        || volume(volumeId).getStatus() == null
                        || !volume(volumeId).getStatus().staged(),
                () -> volume(volumeId).getStatus());
    }

    void boundPvc(String pvc, String volumeId) {
        ClusterApiServer.boundPvc(client, DRIVER, NS, pvc, volumeId);
    }

    VdiskVolume volume(String id) {
        return client.resources(VdiskVolume.class).withName(id).get();
    }

    VdiskNode vdiskNode() {
        return client.resources(VdiskNode.class).withName(NODE).get();
    }

    SplitRequest splitRequest(String name) {
        return client.resources(SplitRequest.class)
                .inNamespace(NS)
                .withName(name)
                .get();
    }

    List<String> pvcEvents(String pvc) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> e.getInvolvedObject().getName().equals(pvc))
                .sorted(Comparator.comparing(e ->
                        e.getMetadata().getCreationTimestamp() + e.getMetadata().getName()))
                .map(Event::getReason)
                .toList();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void await(String what, BooleanSupplier condition, Supplier<Object> shown) {
        Await.until(what, Duration.ofSeconds(20), condition, shown);
    }
}
