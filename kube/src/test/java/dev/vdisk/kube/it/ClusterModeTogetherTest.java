package dev.vdisk.kube.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import csi.v1.BlockMetadata;
import csi.v1.CapacityRange;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.GetCapacityRequest;
import csi.v1.GetCapacityResponse;
import csi.v1.GetMetadataAllocatedRequest;
import csi.v1.GetMetadataAllocatedResponse;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeContentSource;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.controller.metadata.SnapshotMetadataService;
import dev.vdisk.controller.service.CloneSplitHook;
import dev.vdisk.controller.service.ControllerService;
import dev.vdisk.kube.access.ApiAccess;
import dev.vdisk.kube.access.Component;
import dev.vdisk.kube.access.RecordedAccess;
import dev.vdisk.kube.agentapi.AgentApiClient;
import dev.vdisk.kube.agentapi.TestTokens;
import dev.vdisk.kube.agentapi.TokenFile;
import dev.vdisk.kube.cli.KubectlVdisk;
import dev.vdisk.kube.controller.AgentApiExtents;
import dev.vdisk.kube.controller.LeaderElection;
import dev.vdisk.kube.controller.ResourceNodeAgents;
import dev.vdisk.kube.node.NodeClusterAgent;
import dev.vdisk.kube.node.NodeClusterConfig;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestSpec;
import dev.vdisk.kube.resource.SplitRequestStatus;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeStatus;
import dev.vdisk.kube.split.SplitRequestController;
import dev.vdisk.node.agent.AgentConfig;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.agent.StagedVolume;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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
 * through the node agent's staging, as NodeStage would) and TokenReview (answered by an expectation).
 */
@ExtendWith(Privileged.class)
@EnableKubernetesMockClient(crud = true)
class ClusterModeTogetherTest {

    static {
        // the mock server and the clients log every request: thousands of lines that slow the test down
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.fabric8"))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    static final long MIB = 1 << 20;
    /** Written chunks of a MiB lie this far apart in a 16 MiB volume. */
    static final long STRIDE = 4 * MIB;

    static final String NODE = "n1";
    static final String DRIVER = "vdisk.csi.dev";
    static final String NS = "team-a";
    static final String CONTROLLER_SA = "system:serviceaccount:kube-system:vdisk-csi-controller";
    static final String TOKEN = TestTokens.jwt("controller");
    /** User agents: the launcher's for the controller, others for the node agent and the plugin. */
    static final Map<String, Component> USER_AGENTS = Map.of(
            "vdisk-csi-controller",
            Component.CONTROLLER,
            "vdisk-csi-node",
            Component.NODE,
            "kubectl-vdisk",
            Component.KUBECTL_PLUGIN);

    static final VolumeCapability MOUNT = VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
            .build();

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    /** Every request of the three components, by component, collected as the test goes. */
    final Map<Component, Set<RecordedAccess.Access>> accesses = new TreeMap<>();

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

    /** The three sides, started as their launchers start them, the controller the elected leader. */
    @BeforeEach
    void start() throws Exception {
        installCrds();
        reviews = answerTokenReviews();
        port = freePort();
        nodeConfig = NodeClusterConfig.of(
                        NODE, "127.0.0.1:" + port, "127.0.0.1:" + port, "kube-system:vdisk-csi-controller")
                .withIntervals(Duration.ofMillis(500), Duration.ofMillis(200), Duration.ofMinutes(5));
        Path token = dir.resolve("agent-api-token");
        Files.writeString(token, TOKEN + "\n");
        nodeClient = clientAs("vdisk-csi-node");
        controllerClient = clientAs("vdisk-csi-controller");
        agent = startAgent();
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
        collectAccesses();
        assertDeclared();
    }

    @Test
    void volumeSnapshotCloneSplitMetadataAndDeleteAcrossTheThreeSides() throws Exception {
        // 1. CreateVolume: a Ready VdiskVolume bound to n1, status from the pool
        Volume source = call(controller::createVolume, create("pvc-src")).getVolume();
        VdiskVolume src = volume(source.getVolumeId());
        assertEquals(NODE, src.getMetadata().getLabels().get(ResourceKeys.NODE_LABEL));
        assertTrue(
                src.getMetadata().getFinalizers().contains(ResourceKeys.NODE_AGENT_FINALIZER),
                src.getMetadata().toString());
        VdiskVolumeStatus srcStatus = src.getStatus();
        assertEquals(ResourcePhase.Ready, srcStatus.phase());
        assertEquals(src.getMetadata().getGeneration(), srcStatus.observedGeneration());
        assertEquals(16 * MIB, srcStatus.sizeBytes());
        assertEquals(0, srcStatus.chainDepth());
        assertNull(srcStatus.backingSnapshotId());
        assertFalse(srcStatus.staged());
        assertNull(srcStatus.failure());
        assertEquals(
                "pvc-src",
                srcStatus.attributes().get("name"),
                srcStatus.attributes().toString());
        assertEquals(
                "True",
                srcStatus.conditions().stream()
                        .filter(c -> c.getType().equals("Ready"))
                        .findFirst()
                        .orElseThrow()
                        .getStatus());
        assertEquals(
                16 * MIB, agent.getVolume(source.getVolumeId()).orElseThrow().sizeBytes());
        byte[] data = new byte[(int) (4 * MIB)];
        new Random(8).nextBytes(data);
        write(agent, source.getVolumeId(), data);

        // 2. CreateSnapshot, two clones of it, seen through the controller and the resources
        var snap = call(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-1")
                                .setSourceVolumeId(source.getVolumeId())
                                .build())
                .getSnapshot();
        assertTrue(snap.getReadyToUse());
        VdiskSnapshot snapResource = client.resources(VdiskSnapshot.class)
                .withName(snap.getSnapshotId())
                .get();
        assertEquals(ResourcePhase.Ready, snapResource.getStatus().phase());
        assertEquals(16 * MIB, snapResource.getStatus().sizeBytes());
        Volume clone = call(controller::createVolume, cloneOf("pvc-clone", snap.getSnapshotId()))
                .getVolume();
        Volume dependent = call(controller::createVolume, cloneOf("pvc-dependent", snap.getSnapshotId()))
                .getVolume();
        Volume got = call(
                        controller::controllerGetVolume,
                        ControllerGetVolumeRequest.newBuilder()
                                .setVolumeId(clone.getVolumeId())
                                .build())
                .getVolume();
        assertEquals(snap.getSnapshotId(), got.getContentSource().getSnapshot().getSnapshotId());
        assertEquals(16 * MIB, got.getCapacityBytes());
        assertEquals(
                NODE,
                got.getAccessibleTopology(0)
                        .getSegmentsMap()
                        .values()
                        .iterator()
                        .next());
        VdiskVolumeStatus cloneStatus = volume(clone.getVolumeId()).getStatus();
        assertEquals(1, cloneStatus.chainDepth());
        assertEquals(snap.getSnapshotId(), cloneStatus.backingSnapshotId());
        await(
                "the snapshot lists its two clones",
                () -> snapshotDependents(snap.getSnapshotId()).size() == 2,
                () -> snapshotDependents(snap.getSnapshotId()));
        assertEquals(
                Set.of(source.getVolumeId(), clone.getVolumeId(), dependent.getVolumeId()),
                new TreeSet<>(
                        call(controller::listVolumes, ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                                .map(e -> e.getVolume().getVolumeId())
                                .toList()));
        assertEquals(
                List.of(snap.getSnapshotId()),
                call(controller::listSnapshots, ListSnapshotsRequest.getDefaultInstance()).getEntriesList().stream()
                        .map(e -> e.getSnapshot().getSnapshotId())
                        .toList());
        GetCapacityResponse capacity = call(
                controller::getCapacity,
                GetCapacityRequest.newBuilder().addVolumeCapabilities(MOUNT).build());
        long total = vdiskNode().getStatus().capacity().totalBytes();
        assertTrue(total > 0, vdiskNode().getStatus().toString());
        assertEquals("127.0.0.1:" + port, vdiskNode().getStatus().agentAddress());
        assertEquals(total - 3 * 16 * MIB, capacity.getAvailableCapacity(), "pool total less 3 volumes of 16 MiB");
        assertEquals(
                capacity.getAvailableCapacity(),
                capacity.getMaximumVolumeSize().getValue(),
                "the largest volume fits in what is left");

        // 5 (while the snapshot exists). GetMetadataAllocated through the node's authenticated internal API
        List<GetMetadataAllocatedResponse> allocated = new ArrayList<>();
        metadata.getMetadataAllocated(
                GetMetadataAllocatedRequest.newBuilder()
                        .setSnapshotId(snap.getSnapshotId())
                        .build(),
                collect(allocated));
        assertEquals(16 * MIB, allocated.getFirst().getVolumeCapacityBytes());
        long covered = allocated.stream()
                .flatMap(r -> r.getBlockMetadataList().stream())
                .mapToLong(BlockMetadata::getSizeBytes)
                .sum();
        assertEquals(data.length, covered, "the written 4 MiB are allocated in the snapshot: " + allocated);
        assertTrue(reviews.get() >= 1, "the node asked TokenReview");

        // 3. A SplitRequest for the PVC bound to the clone
        boundPvc("db", clone.getVolumeId());
        SplitRequest request = new SplitRequest();
        request.setMetadata(
                new ObjectMetaBuilder().withName("db-split").withNamespace(NS).build());
        request.setSpec(new SplitRequestSpec("db", "copy", null));
        client.resources(SplitRequest.class).inNamespace(NS).resource(request).create();
        await(
                "the split request succeeds",
                () -> splitRequest("db-split").getStatus() != null
                        && splitRequest("db-split").getStatus().phase() == SplitRequestPhase.Succeeded,
                () -> splitRequest("db-split").getStatus());
        SplitRequestStatus done = splitRequest("db-split").getStatus();
        assertEquals(100, done.percent());
        assertEquals(clone.getVolumeId(), done.volumeId());
        assertNotNull(done.startTime());
        assertNotNull(done.completionTime());
        await(
                "the clone's lineage is empty",
                () -> volume(clone.getVolumeId()).getStatus().chainDepth() == 0
                        && volume(clone.getVolumeId()).getStatus().backingSnapshotId() == null
                        && volume(clone.getVolumeId()).getSpec().split() == null,
                () -> volume(clone.getVolumeId()));
        assertEquals(0, agent.chainDepth(clone.getVolumeId()));
        await(
                "PVC events SplitStarted and SplitCompleted",
                () -> pvcEvents("db").containsAll(List.of("SplitStarted", "SplitCompleted")),
                () -> pvcEvents("db"));
        assertEquals("DONE", volume(clone.getVolumeId()).getStatus().split().phase());

        Plugin status = plugin("status", "db", "-n", NS);
        assertEquals(0, status.exit(), status.toString());
        assertTrue(status.out().contains("Volume:    " + clone.getVolumeId() + " (PV pv-db)"), status.out());
        assertTrue(status.out().contains("Node:      n1\nPhase:     Ready\nSize:      16.0 MiB\n"), status.out());
        assertTrue(status.out().contains("Backing:   none (independent: reads through no snapshot)"), status.out());
        assertTrue(status.out().contains("Split:     copy DONE 100%"), status.out());
        Plugin tree = plugin("tree", "db", "-n", NS);
        assertEquals(0, tree.exit(), tree.toString());
        assertTrue(
                tree.out().startsWith("PVC team-a/db (volume " + clone.getVolumeId() + ") reads through no snapshot\n"),
                tree.out());

        // 4. DeleteSnapshot with a dependent clone, then the volumes: the pool ends empty
        call(
                controller::deleteSnapshot,
                DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId(snap.getSnapshotId())
                        .build());
        assertNull(client.resources(VdiskSnapshot.class)
                .withName(snap.getSnapshotId())
                .get());
        assertTrue(agent.getSnapshot(snap.getSnapshotId()).isEmpty(), "hidden in the pool");
        assertEquals(1, agent.chainDepth(dependent.getVolumeId()), "the dependent still reads through it");
        boundPvc("web", dependent.getVolumeId());
        Plugin hidden = plugin("tree", "web", "-n", NS);
        assertTrue(
                hidden.out()
                        .startsWith("PVC team-a/web (volume " + dependent.getVolumeId() + ") reads through snapshot "
                                + snap.getSnapshotId() + " (hidden)\n"),
                hidden.out());
        deleteVolume(source.getVolumeId());
        assertArrayEquals(
                data,
                read(agent, dependent.getVolumeId(), data.length),
                "the dependent reads the data through the hidden snapshot");

        // 3b. kubectl vdisk split --wait of the clone of the hidden snapshot, throttled so that progress shows
        long splitStart = System.nanoTime();
        Plugin split = plugin("split", "web", "--mode", "copy", "--rate", "2MiB/s", "--wait", "-n", NS);
        long splitMillis = (System.nanoTime() - splitStart) / 1_000_000;
        assertEquals(0, split.exit(), split.toString());
        assertTrue(
                split.out()
                        .contains("split of volume " + dependent.getVolumeId() + " succeeded: 4.0 MiB" + " relocated"),
                split.out());
        assertTrue(splitMillis >= 1000, "4 MiB at 2 MiB/s took " + splitMillis + " ms");
        System.out.println("throttled split through the plugin: " + splitMillis + " ms; PVC events " + pvcEvents("web")
                + "; plugin output:\n" + split.out());
        await(
                "PVC events of the throttled split",
                () -> pvcEvents("web").containsAll(List.of("SplitStarted", "SplitProgress", "SplitCompleted")),
                () -> pvcEvents("web"));
        await(
                "the dependent's lineage is empty",
                () -> volume(dependent.getVolumeId()).getStatus().backingSnapshotId() == null
                        && volume(dependent.getVolumeId()).getStatus().chainDepth() == 0,
                () -> volume(dependent.getVolumeId()).getStatus());
        assertEquals(0, agent.chainDepth(dependent.getVolumeId()));
        assertArrayEquals(data, read(agent, clone.getVolumeId(), data.length), "the split clone kept the data");
        assertArrayEquals(
                data,
                read(agent, dependent.getVolumeId(), data.length),
                "the split of the hidden snapshot's clone kept the data");
        for (Volume v : List.of(clone, dependent)) {
            deleteVolume(v.getVolumeId());
        }
        assertEquals(List.of(), client.resources(VdiskVolume.class).list().getItems());
        assertEquals(List.of(), client.resources(VdiskSnapshot.class).list().getItems());
        assertEquals(List.of(), agent.listVolumes());
        assertEquals(List.of(), agent.listSnapshots());
        assertEquals(usedWhenEmpty, agent.capacity().usedBytes(), "the pool holds no data any more");
        System.out.println("cluster mode, three sides together: " + (System.nanoTime() - t0) / 1_000_000
                + " ms from start to an empty pool");
        assertExercised();
    }

    @Test
    void splitOnCloneFromTheStorageClassAndCancelByDeletingTheRequest() throws Exception {
        Volume source = call(controller::createVolume, create("pvc-src")).getVolume();
        byte[] data = new byte[(int) (4 * MIB)];
        new Random(9).nextBytes(data);
        write(agent, source.getVolumeId(), data);
        var snap = call(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-1")
                                .setSourceVolumeId(source.getVolumeId())
                                .build())
                .getSnapshot();

        // the StorageClass asks every clone to split: the controller's hook starts it through the resource
        Volume shared = call(
                        controller::createVolume,
                        cloneOf("pvc-shared", snap.getSnapshotId()).toBuilder()
                                .putParameters("splitOnClone", "share")
                                .build())
                .getVolume();
        // (the lineage empties at RELEASING already, a moment before the split is DONE)
        await(
                "the splitOnClone clone's split is done",
                () -> "DONE"
                        .equals(volume(shared.getVolumeId()).getStatus().split().phase()),
                () -> volume(shared.getVolumeId()).getStatus());
        assertEquals(0, volume(shared.getVolumeId()).getStatus().chainDepth());
        assertNull(volume(shared.getVolumeId()).getStatus().backingSnapshotId());
        assertEquals(0, agent.chainDepth(shared.getVolumeId()));

        // a throttled split, cancelled by deleting its request while it runs
        Volume slow = call(controller::createVolume, cloneOf("pvc-slow", snap.getSnapshotId()))
                .getVolume();
        boundPvc("slow", slow.getVolumeId());
        SplitRequest request = new SplitRequest();
        request.setMetadata(
                new ObjectMetaBuilder().withName("slow-split").withNamespace(NS).build());
        request.setSpec(new SplitRequestSpec("slow", "copy", MIB));
        client.resources(SplitRequest.class).inNamespace(NS).resource(request).create();
        await(
                "the throttled split runs",
                () -> splitRequest("slow-split").getStatus() != null
                        && splitRequest("slow-split").getStatus().phase() == SplitRequestPhase.Running
                        && splitRequest("slow-split").getStatus().bytesRelocated() > 0,
                () -> splitRequest("slow-split").getStatus());
        client.resources(SplitRequest.class)
                .inNamespace(NS)
                .withName("slow-split")
                .delete();
        await(
                "the request goes once the node stopped the split",
                () -> splitRequest("slow-split") == null,
                () -> splitRequest("slow-split"));
        VdiskVolume cancelled = volume(slow.getVolumeId());
        assertEquals(
                "CANCELLED",
                cancelled.getStatus().split().phase(),
                cancelled.getStatus().toString());
        assertNull(cancelled.getSpec().split(), "the split controller cleared its spec.split");
        assertEquals(1, cancelled.getStatus().chainDepth());
        assertEquals(snap.getSnapshotId(), cancelled.getStatus().backingSnapshotId());
        assertEquals(1, agent.chainDepth(slow.getVolumeId()));
        await("PVC event SplitCancelled", () -> pvcEvents("slow").contains("SplitCancelled"), () -> pvcEvents("slow"));
        assertArrayEquals(data, read(agent, slow.getVolumeId(), data.length), "a cancelled split loses nothing");
        assertArrayEquals(data, read(agent, shared.getVolumeId(), data.length), "nor does a shared split");

        for (Volume v : List.of(shared, slow, source)) {
            deleteVolume(v.getVolumeId());
        }
        call(
                controller::deleteSnapshot,
                DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId(snap.getSnapshotId())
                        .build());
        assertEquals(List.of(), client.resources(VdiskVolume.class).list().getItems());
        assertEquals(List.of(), agent.listVolumes());
        assertEquals(List.of(), agent.listSnapshots());
        assertEquals(usedWhenEmpty, agent.capacity().usedBytes(), "the pool holds no data any more");
    }

    @Test
    void aStandbyControllerTakesOverARunningSplitAndFinishesIt() throws Exception {
        Volume source = call(controller::createVolume, create("pvc-src")).getVolume();
        byte[] data = new byte[(int) (4 * MIB)];
        new Random(10).nextBytes(data);
        write(agent, source.getVolumeId(), data);
        var snap = call(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-1")
                                .setSourceVolumeId(source.getVolumeId())
                                .build())
                .getSnapshot();
        Volume clone = call(controller::createVolume, cloneOf("pvc-clone", snap.getSnapshotId()))
                .getVolume();
        boundPvc("db", clone.getVolumeId());

        try (KubernetesClient standbyClient = clientAs("vdisk-csi-controller");
                LeaderElection standby = new LeaderElection(
                                standbyClient,
                                "kube-system",
                                "vdisk-csi-controller",
                                "controller-1",
                                LeaderElection.Timing.DEFAULT,
                                List.of(() -> SplitRequestController.start(standbyClient, DRIVER)))
                        .start()) {
            SplitRequest request = new SplitRequest();
            request.setMetadata(new ObjectMetaBuilder()
                    .withName("db-split")
                    .withNamespace(NS)
                    .build());
            request.setSpec(new SplitRequestSpec("db", "copy", 2 * MIB));
            client.resources(SplitRequest.class)
                    .inNamespace(NS)
                    .resource(request)
                    .create();
            await(
                    "the split runs",
                    () -> splitRequest("db-split").getStatus() != null
                            && splitRequest("db-split").getStatus().percent() > 0,
                    () -> splitRequest("db-split").getStatus());
            assertFalse(standby.isLeader());
            long handOver = System.nanoTime();
            election.close(); // the leader goes (rolling update): it releases the lease
            assertTrue(
                    splitRequest("db-split").getStatus().phase() != SplitRequestPhase.Succeeded,
                    "the old leader left before the end");
            await("the standby leads", standby::isLeader, () -> "controller-1 does not lead");
            System.out.println("hand-over to the standby: " + (System.nanoTime() - handOver) / 1_000_000 + " ms");
            await(
                    "the request succeeds under the new leader",
                    () -> splitRequest("db-split").getStatus().phase() == SplitRequestPhase.Succeeded,
                    () -> splitRequest("db-split").getStatus());
            assertEquals(100, splitRequest("db-split").getStatus().percent());
            await(
                    "the clone's spec.split cleared",
                    () -> volume(clone.getVolumeId()).getSpec().split() == null,
                    () -> volume(clone.getVolumeId()).getSpec());
            List<String> events = pvcEvents("db");
            assertEquals(1, events.stream().filter("SplitStarted"::equals).count(), events.toString());
            assertEquals(1, events.stream().filter("SplitCompleted"::equals).count(), events.toString());
            assertTrue(events.stream().filter("SplitProgress"::equals).count() <= 3, "each milestone once: " + events);
            assertEquals(0, agent.chainDepth(clone.getVolumeId()));
            assertArrayEquals(data, read(agent, clone.getVolumeId(), data.length));
        }
        for (Volume v : List.of(clone, source)) {
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

    @Test
    void theNodeAgentRestartsDuringASplitAndTheRequestStillSucceeds() throws Exception {
        Volume source = call(controller::createVolume, create("pvc-src")).getVolume();
        byte[] data = new byte[(int) (4 * MIB)];
        new Random(11).nextBytes(data);
        write(agent, source.getVolumeId(), data);
        var snap = call(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-1")
                                .setSourceVolumeId(source.getVolumeId())
                                .build())
                .getSnapshot();
        Volume clone = call(controller::createVolume, cloneOf("pvc-clone", snap.getSnapshotId()))
                .getVolume();
        boundPvc("db", clone.getVolumeId());
        SplitRequest request = new SplitRequest();
        request.setMetadata(
                new ObjectMetaBuilder().withName("db-split").withNamespace(NS).build());
        request.setSpec(new SplitRequestSpec("db", "copy", 2 * MIB));
        client.resources(SplitRequest.class).inNamespace(NS).resource(request).create();
        await(
                "the split runs",
                () -> splitRequest("db-split").getStatus() != null
                        && splitRequest("db-split").getStatus().percent() > 0,
                () -> splitRequest("db-split").getStatus());

        // the node's pod restarts (upgrade): the agent and its cluster side stop, then start on the same pool
        node.close();
        agent.close();
        assertTrue(splitRequest("db-split").getStatus().phase() != SplitRequestPhase.Succeeded, "stopped midway");
        agent = startAgent();
        node = NodeClusterAgent.start(nodeClient, nodeConfig, agent);

        await(
                "the request succeeds after the restart",
                () -> splitRequest("db-split").getStatus().phase() == SplitRequestPhase.Succeeded,
                () -> splitRequest("db-split").getStatus());
        assertEquals(100, splitRequest("db-split").getStatus().percent());
        assertEquals(0, agent.chainDepth(clone.getVolumeId()));
        await(
                "the clone's lineage is empty and spec.split cleared",
                () -> volume(clone.getVolumeId()).getSpec().split() == null
                        && volume(clone.getVolumeId()).getStatus().chainDepth() == 0,
                () -> volume(clone.getVolumeId()));
        assertArrayEquals(data, read(agent, clone.getVolumeId(), data.length));
        List<String> events = pvcEvents("db");
        assertEquals(1, events.stream().filter("SplitCompleted"::equals).count(), events.toString());
        for (Volume v : List.of(clone, source)) {
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

    @Test
    void aDeletionWhileTheNodeIsDownWaitsForItsFinalizerAndCompletesWhenTheNodeIsBack() throws Exception {
        Volume volume = call(controller::createVolume, create("pvc-1")).getVolume();
        node.close();
        agent.close();
        // the controller waits a bounded time, then answers OK: the deletion is recorded, its finalizer keeps the
        // resource until the node agent has deleted the volume from its pool
        ResourceNodeAgents impatient = new ResourceNodeAgents(
                controllerClient, Duration.ofSeconds(1), new AgentApiExtents(controllerClient, agentApi));
        ControllerService shortWait = new ControllerService(impatient, CloneSplitHook.startingOn(impatient));
        call(
                shortWait::deleteVolume,
                DeleteVolumeRequest.newBuilder()
                        .setVolumeId(volume.getVolumeId())
                        .build());
        VdiskVolume waiting = volume(volume.getVolumeId());
        assertNotNull(waiting.getMetadata().getDeletionTimestamp());
        assertEquals(
                List.of(ResourceKeys.NODE_AGENT_FINALIZER),
                waiting.getMetadata().getFinalizers());

        agent = startAgent();
        assertTrue(agent.getVolume(volume.getVolumeId()).isPresent(), "nothing deleted while the node was down");
        node = NodeClusterAgent.start(nodeClient, nodeConfig, agent);
        await(
                "the node deletes it and drops the finalizer",
                () -> volume(volume.getVolumeId()) == null,
                () -> volume(volume.getVolumeId()));
        assertEquals(List.of(), agent.listVolumes());
    }

    @Test
    void thePvcAnnotationSplitsTheCloneAndItsRemovalDeletesTheOwnedRequest() throws Exception {
        Volume source = call(controller::createVolume, create("pvc-src")).getVolume();
        byte[] data = new byte[(int) (4 * MIB)];
        new Random(12).nextBytes(data);
        write(agent, source.getVolumeId(), data);
        var snap = call(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-1")
                                .setSourceVolumeId(source.getVolumeId())
                                .build())
                .getSnapshot();
        Volume clone = call(controller::createVolume, cloneOf("pvc-clone", snap.getSnapshotId()))
                .getVolume();
        boundPvc("db", clone.getVolumeId());

        client.persistentVolumeClaims().inNamespace(NS).withName("db").edit(pvc -> {
            pvc.getMetadata().getAnnotations().put(ResourceKeys.SPLIT_ANNOTATION, "share");
            return pvc;
        });
        await(
                "the owned request succeeds",
                () -> splitRequest("db-split") != null
                        && splitRequest("db-split").getStatus() != null
                        && splitRequest("db-split").getStatus().phase() == SplitRequestPhase.Succeeded,
                () -> splitRequest("db-split"));
        assertEquals(
                "PersistentVolumeClaim",
                splitRequest("db-split")
                        .getMetadata()
                        .getOwnerReferences()
                        .getFirst()
                        .getKind());
        assertEquals(0, agent.chainDepth(clone.getVolumeId()));
        assertArrayEquals(data, read(agent, clone.getVolumeId(), data.length));

        client.persistentVolumeClaims().inNamespace(NS).withName("db").edit(pvc -> {
            pvc.getMetadata().getAnnotations().remove(ResourceKeys.SPLIT_ANNOTATION);
            return pvc;
        });
        await(
                "the owned request goes with the annotation",
                () -> splitRequest("db-split") == null,
                () -> splitRequest("db-split"));
        assertEquals(0, agent.chainDepth(clone.getVolumeId()), "a finished split stays done");
        for (Volume v : List.of(clone, source)) {
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

    @Test
    void aVolumeExpandedWhileStagedCanBeDeletedOnceUnstaged() throws Exception {
        Volume volume = call(controller::createVolume, create("pvc-1")).getVolume();
        String id = volume.getVolumeId();
        StagedVolume staged = new StagedVolume(
                id,
                agent.config().kubeletDir().resolve("s-" + id),
                true,
                "",
                List.of(),
                "SINGLE_NODE_WRITER",
                Map.of());
        try (var held = agent.locks().lock(id)) { // NodeStageVolume, as the kubelet would
            agent.staging().stage(staged);
            agent.staged().put(staged);
        }
        try {
            // an online expansion: the node answers the new generation while the volume is staged
            call(
                    controller::controllerExpandVolume,
                    ControllerExpandVolumeRequest.newBuilder()
                            .setVolumeId(id)
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(32 * MIB))
                            .build());
            assertTrue(volume(id).getStatus().staged(), volume(id).getStatus().toString());
        } finally {
            try (var held = agent.locks().lock(id)) { // NodeUnstageVolume
                agent.staging().unstage(staged, false);
                agent.staged().remove(id);
            }
        }
        awaitUnstagedStatus(id); // no resource changed: the node notices by itself, not at the next resync
        call(
                controller::deleteVolume,
                DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        assertEquals(List.of(), agent.listVolumes());
    }

    private NodeAgent startAgent() throws IOException {
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

    private static CreateVolumeRequest create(String name) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(MOUNT)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(16 * MIB))
                .build();
    }

    private static CreateVolumeRequest cloneOf(String name, String snapshotId) {
        return create(name).toBuilder()
                .setVolumeContentSource(VolumeContentSource.newBuilder()
                        .setSnapshot(
                                VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(snapshotId)))
                .build();
    }

    /**
     * DeleteVolume as the external-provisioner sends it: again while the refusal says the volume is staged. A status
     * the node computed while the test had the volume staged can land just after the unstage; the node's staged
     * check corrects it within a heartbeat, and a CO retries until then.
     */
    private void deleteVolume(String volumeId) throws InterruptedException {
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
    private static <Q, R> R call(BiConsumer<Q, StreamObserver<R>> method, Q request) {
        List<R> out = new ArrayList<>();
        method.accept(request, collect(out));
        return out.getFirst();
    }

    private static <R> StreamObserver<R> collect(List<R> out) {
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

    private Plugin plugin(String... args) {
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

    // ------------------------------------------------------------------------------------------ the kubelet's part

    /**
     * Stages the volume as a block device (as NodeStage would), writes {@code data} in MiB chunks spread over it
     * (chunk i at i x {@link #STRIDE}: a split's progress by position then follows its bytes), unstages it.
     */
    private void write(NodeAgent agent, String volumeId, byte[] data) throws IOException {
        onLoopDevice(agent, volumeId, StandardOpenOption.WRITE, ch -> {
            for (int chunk = 0; chunk * MIB < data.length; chunk++) {
                ByteBuffer b =
                        ByteBuffer.wrap(data, (int) (chunk * MIB), (int) MIB).slice();
                while (b.hasRemaining()) {
                    ch.write(b, chunk * STRIDE + b.position());
                }
            }
            ch.force(true);
        });
        awaitUnstagedStatus(volumeId);
    }

    /** What {@link #write} wrote, read back from the same places. */
    private byte[] read(NodeAgent agent, String volumeId, int length) throws IOException {
        byte[] out = new byte[length];
        onLoopDevice(agent, volumeId, StandardOpenOption.READ, ch -> {
            for (int chunk = 0; chunk * MIB < length; chunk++) {
                ByteBuffer b =
                        ByteBuffer.wrap(out, (int) (chunk * MIB), (int) MIB).slice();
                while (b.hasRemaining() && ch.read(b, chunk * STRIDE + b.position()) >= 0) {
                    // until full
                }
            }
        });
        awaitUnstagedStatus(volumeId);
        return out;
    }

    /**
     * The node reports the volume unstaged again (the controller refuses DeleteVolume while its status says staged;
     * a status written while the test had it staged must not stay so).
     */
    private void awaitUnstagedStatus(String volumeId) {
        await(
                "VdiskVolume " + volumeId + " reported unstaged",
                () -> volume(volumeId) == null
                        || volume(volumeId).getStatus() == null
                        || !volume(volumeId).getStatus().staged(),
                () -> volume(volumeId).getStatus());
    }

    private interface ChannelWork {
        void run(FileChannel ch) throws IOException;
    }

    private static void onLoopDevice(NodeAgent agent, String volumeId, StandardOpenOption mode, ChannelWork work)
            throws IOException {
        StagedVolume staged = new StagedVolume(
                volumeId,
                agent.config().kubeletDir().resolve("s-" + volumeId),
                true,
                "",
                List.of(),
                "SINGLE_NODE_WRITER",
                Map.of());
        try (var held = agent.locks().lock(volumeId)) {
            agent.staging().stage(staged);
            agent.staged().put(staged);
        }
        try {
            int loop = agent.attached(volumeId).orElseThrow().loopNumber();
            try (FileChannel ch = FileChannel.open(Path.of("/dev/loop" + loop), mode)) {
                work.run(ch);
            }
        } finally {
            try (var held = agent.locks().lock(volumeId)) {
                agent.staging().unstage(staged, false);
                agent.staged().remove(volumeId);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ API server

    private KubernetesClient clientAs(String userAgent) {
        return new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(client.getConfiguration())
                        .withUserAgent(userAgent)
                        .build())
                .build();
    }

    /** The generated CRDs, so that the mock server keeps status and spec apart as a real API server does. */
    private void installCrds() throws IOException {
        for (String plural :
                List.of("vdiskvolumes", "vdisksnapshots", "vdiskgroupsnapshots", "vdisknodes", "splitrequests")) {
            try (InputStream in = getClass()
                    .getResourceAsStream("/META-INF/fabric8/" + plural + "." + ResourceKeys.GROUP + "-v1.yml")) {
                if (in == null) {
                    throw new IOException("generated CRD of " + plural + " not on the classpath");
                }
                client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .resource(client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class))
                        .create();
            }
        }
    }

    /** TokenReview as the API server would answer for the controller's projected token (audience kept). */
    private AtomicInteger answerTokenReviews() {
        AtomicInteger reviews = new AtomicInteger();
        server.expect()
                .post()
                .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                .andReply(201, req -> {
                    reviews.incrementAndGet();
                    TokenReview asked = client.getKubernetesSerialization()
                            .unmarshal(req.getBody().readUtf8(), TokenReview.class);
                    TokenReviewBuilder answer = new TokenReviewBuilder(asked);
                    return TOKEN.equals(asked.getSpec().getToken())
                            ? answer.withNewStatus()
                                    .withAuthenticated(true)
                                    .withAudiences(asked.getSpec().getAudiences())
                                    .withNewUser()
                                    .withUsername(CONTROLLER_SA)
                                    .endUser()
                                    .endStatus()
                                    .build()
                            : answer.withNewStatus()
                                    .withAuthenticated(false)
                                    .withError("invalid bearer token")
                                    .endStatus()
                                    .build();
                })
                .always();
        return reviews;
    }

    private void boundPvc(String pvc, String volumeId) {
        client.persistentVolumes()
                .resource(new PersistentVolumeBuilder()
                        .withNewMetadata()
                        .withName("pv-" + pvc)
                        .endMetadata()
                        .withNewSpec()
                        .addToCapacity("storage", new Quantity("16Mi"))
                        .withNewCsi()
                        .withDriver(DRIVER)
                        .withVolumeHandle(volumeId)
                        .endCsi()
                        .withNewClaimRef()
                        .withNamespace(NS)
                        .withName(pvc)
                        .endClaimRef()
                        .endSpec()
                        .build())
                .create();
        client.persistentVolumeClaims()
                .inNamespace(NS)
                .resource(new PersistentVolumeClaimBuilder()
                        .withNewMetadata()
                        .withName(pvc)
                        .withNamespace(NS)
                        .endMetadata()
                        .withNewSpec()
                        .withVolumeName("pv-" + pvc)
                        .withAccessModes("ReadWriteOnce")
                        .withNewResources()
                        .addToRequests("storage", new Quantity("16Mi"))
                        .endResources()
                        .endSpec()
                        .build())
                .create();
    }

    private VdiskVolume volume(String id) {
        return client.resources(VdiskVolume.class).withName(id).get();
    }

    private VdiskNode vdiskNode() {
        return client.resources(VdiskNode.class).withName(NODE).get();
    }

    private List<String> snapshotDependents(String id) {
        VdiskSnapshot s = client.resources(VdiskSnapshot.class).withName(id).get();
        return s == null || s.getStatus() == null || s.getStatus().dependents() == null
                ? List.of()
                : s.getStatus().dependents();
    }

    private SplitRequest splitRequest(String name) {
        return client.resources(SplitRequest.class)
                .inNamespace(NS)
                .withName(name)
                .get();
    }

    private List<String> pvcEvents(String pvc) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> e.getInvolvedObject().getName().equals(pvc))
                .sorted(Comparator.comparing(e ->
                        e.getMetadata().getCreationTimestamp() + e.getMetadata().getName()))
                .map(Event::getReason)
                .toList();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void await(String what, BooleanSupplier condition, Supplier<Object> shown) {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting for " + what + "; last seen: " + shown.get());
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ declared access

    /** Takes the server's recorded requests and files those of the three components by their User-Agent. */
    private void collectAccesses() throws InterruptedException {
        RecordedRequest r;
        while ((r = server.takeRequest(20, TimeUnit.MILLISECONDS)) != null) {
            String agent = r.getHeader("User-Agent");
            RecordedAccess.Access a = RecordedAccess.of(r.getMethod(), r.getPath());
            if (agent == null || a == null) {
                continue;
            }
            USER_AGENTS.forEach((prefix, component) -> {
                if (agent.startsWith(prefix)) {
                    accesses.computeIfAbsent(component, c -> new TreeSet<>()).add(a);
                }
            });
        }
    }

    private void assertDeclared() {
        List<String> undeclared = new ArrayList<>();
        accesses.forEach((component, seen) -> seen.stream()
                .filter(a -> ApiAccess.of(component).stream().noneMatch(rule -> RecordedAccess.allows(rule, a)))
                .forEach(a -> undeclared.add(component + ": " + a)));
        assertEquals(List.of(), undeclared, "requests not declared in ApiAccess; all seen: " + accesses);
        System.out.println("API access seen: " + accesses);
    }

    /** Each side made the requests the first test is about (so the check above had something to check). */
    private void assertExercised() throws InterruptedException {
        collectAccesses();
        assertTrue(
                accesses.get(Component.NODE)
                        .contains(new RecordedAccess.Access(ResourceKeys.GROUP, "vdiskvolumes/status", "patch")),
                accesses.toString());
        assertTrue(
                accesses.get(Component.NODE)
                        .contains(new RecordedAccess.Access("authentication.k8s.io", "tokenreviews", "create")),
                accesses.toString());
        assertTrue(
                accesses.get(Component.CONTROLLER)
                        .contains(new RecordedAccess.Access(ResourceKeys.GROUP, "vdiskvolumes", "create")),
                accesses.toString());
        assertTrue(
                accesses.get(Component.CONTROLLER)
                        .contains(new RecordedAccess.Access(ResourceKeys.GROUP, "splitrequests/status", "patch")),
                accesses.toString());
        assertTrue(
                accesses.get(Component.CONTROLLER)
                        .contains(new RecordedAccess.Access("coordination.k8s.io", "leases", "create")),
                accesses.toString());
        assertTrue(
                accesses.get(Component.KUBECTL_PLUGIN)
                        .contains(new RecordedAccess.Access(ResourceKeys.GROUP, "vdiskvolumes", "list")),
                accesses.toString());
        assertTrue(
                accesses.get(Component.KUBECTL_PLUGIN)
                        .contains(new RecordedAccess.Access(ResourceKeys.GROUP, "splitrequests", "create")),
                accesses.toString());
    }
}
