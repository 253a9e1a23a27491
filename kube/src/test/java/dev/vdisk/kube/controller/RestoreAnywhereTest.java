package dev.vdisk.kube.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import csi.v1.CapacityRange;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeContentSource;
import dev.vdisk.api.agent.ReplicaSourceApi;
import dev.vdisk.api.agent.ReplicaTargetApi;
import dev.vdisk.controller.service.CloneSplitHook;
import dev.vdisk.controller.service.ControllerService;
import dev.vdisk.kube.access.Component;
import dev.vdisk.kube.access.RecordedAccess;
import dev.vdisk.kube.agentapi.AgentApiClient;
import dev.vdisk.kube.agentapi.ServiceAccountName;
import dev.vdisk.kube.agentapi.TestTokens;
import dev.vdisk.kube.agentapi.TokenFile;
import dev.vdisk.kube.node.NodeClusterAgent;
import dev.vdisk.kube.node.NodeClusterConfig;
import dev.vdisk.kube.replication.PeerReplication;
import dev.vdisk.kube.replication.PullProgress;
import dev.vdisk.kube.replication.SnapshotPuller;
import dev.vdisk.kube.resource.EventReasons;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.node.agent.AgentConfig;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.agent.StagedVolume;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.replication.PullStatus;
import dev.vdisk.node.replication.ReplicaPuller;
import dev.vdisk.node.replication.ReplicaPulls;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Restore anywhere with two real node agents (two pools, node ids n1 and n2) on one mock API server (CRUD mode,
 * generated CRDs), each serving its internal API on loopback with replication admitted for the node account, and the
 * real Controller service over {@link ResourceNodeAgents}: a snapshot and a volume of n1 are cloned onto n2 (the
 * topology asks for n2), n2 pulling a replica over the agent API; the clones read what was written on n1, also after
 * n1's volume and snapshot are deleted; a second clone of the same snapshot pulls nothing.
 */
@ExtendWith(Privileged.class)
@EnableKubernetesMockClient(crud = true)
class RestoreAnywhereTest {

    static {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.fabric8"))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    static final long MIB = 1 << 20;
    /** Written MiBs lie this far apart: the MiBs between them are holes. */
    static final long STRIDE = 4 * MIB;

    static final ServiceAccountName CONTROLLER = ServiceAccountName.parse("kube-system:vdisk-csi-controller");
    static final ServiceAccountName NODE = ServiceAccountName.parse("kube-system:vdisk-csi-node");
    static final String CONTROLLER_TOKEN = TestTokens.jwt("controller");
    static final String NODE_TOKEN = TestTokens.jwt("node");
    static final String NODE_USER_AGENT = "vdisk-csi-node";

    static final VolumeCapability BLOCK = VolumeCapability.newBuilder()
            .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
            .build();

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    /** Closed in reverse order after the test. */
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        try {
            for (AutoCloseable c : open.reversed()) {
                c.close();
            }
        } finally {
            LeakCheck.unmountAllUnder(dir);
            LeakCheck.assertNothingLeftUnder(dir);
        }
        RecordedAccess.assertDeclared(server, Component.NODE, NODE_USER_AGENT);
    }

    @Test
    void aSnapshotAndAVolumeOfOneNodeAreClonedOntoTheOther() throws Exception {
        installCrds();
        answerTokenReviews();
        NodeAgent n1 = startNode("n1");
        NodeAgent n2 = startNode("n2");
        KubernetesClient controllerClient = clientAs("vdisk-csi-controller");
        open.add(controllerClient);
        await(
                "both nodes publish their VdiskNode",
                () -> controllerClient
                                .resources(VdiskNode.class)
                                .list()
                                .getItems()
                                .size()
                        == 2);
        ResourceNodeAgents agents = new ResourceNodeAgents(
                controllerClient, Duration.ofSeconds(30), new ControllerOverResourcesTest.NoExtents());
        ControllerService controller = new ControllerService(agents, CloneSplitHook.startingOn(agents));

        Volume source = Csi.call(controller::createVolume, create("pvc-src", "n1", null))
                .getVolume();
        byte[] data = new byte[(int) (3 * MIB)];
        new Random(19).nextBytes(data);
        write(n1, source.getVolumeId(), data);
        String snap = Csi.call(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-1")
                                .setSourceVolumeId(source.getVolumeId())
                                .build())
                .getSnapshot()
                .getSnapshotId();

        // a snapshot of n1, restored where the topology says: n2
        long t0 = System.nanoTime();
        Volume restored = Csi.call(
                        controller::createVolume,
                        create(
                                "pvc-restored",
                                "n2",
                                VolumeContentSource.newBuilder()
                                        .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                                .setSnapshotId(snap))
                                        .build()))
                .getVolume();
        System.out.println("restore of a 16 MiB snapshot (3 MiB of data) from n1 onto n2: "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        String id = restored.getVolumeId();
        assertEquals("n2", restored.getAccessibleTopology(0).getSegmentsMap().get("topology.vdisk.csi.dev/node"));
        assertTrue(n2.getVolume(id).isPresent(), "the clone lives on n2");
        assertTrue(n1.getVolume(id).isEmpty(), "and not on n1");
        assertArrayEquals(data, read(n2, id, data.length), "the clone on n2 reads what n1's snapshot holds");
        List<String> reasons = eventReasons(id);
        assertTrue(
                reasons.contains(EventReasons.REPLICATION_STARTED) && reasons.contains(EventReasons.REPLICATED),
                "the pull is visible as events: " + reasons);
        assertEquals(
                1,
                n2.replicas().replicas().size(),
                "one replica on n2: " + n2.replicas().replicas());

        // the same snapshot again: it is on n2 already, nothing is pulled
        Volume again = Csi.call(
                        controller::createVolume,
                        create(
                                "pvc-again",
                                "n2",
                                VolumeContentSource.newBuilder()
                                        .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                                .setSnapshotId(snap))
                                        .build()))
                .getVolume();
        assertTrue(
                eventReasons(again.getVolumeId()).stream().noneMatch(EventReasons.REPLICATION_STARTED::equals),
                "no second pull: " + eventReasons(again.getVolumeId()));
        assertArrayEquals(data, read(n2, again.getVolumeId(), data.length));

        // a volume of n1 cloned onto n2: through an internal snapshot taken on n1 and deleted once the clone exists
        Volume copy = Csi.call(
                        controller::createVolume,
                        create(
                                "pvc-copy",
                                "n2",
                                VolumeContentSource.newBuilder()
                                        .setVolume(VolumeContentSource.VolumeSource.newBuilder()
                                                .setVolumeId(source.getVolumeId()))
                                        .build()))
                .getVolume();
        assertTrue(n2.getVolume(copy.getVolumeId()).isPresent());
        assertArrayEquals(data, read(n2, copy.getVolumeId(), data.length));
        assertEquals(
                List.of(snap),
                n1.listSnapshots().stream().map(s -> s.snapshotId()).toList(),
                "the internal snapshot is gone from n1");

        // n1's snapshot and volume go: the clones on n2 are ordinary local volumes
        await("n1 reports the source unstaged again", () -> {
            VdiskVolume v = controllerClient
                    .resources(VdiskVolume.class)
                    .withName(source.getVolumeId())
                    .get();
            return v.getStatus() != null && !v.getStatus().staged();
        });
        Csi.call(
                controller::deleteSnapshot,
                DeleteSnapshotRequest.newBuilder().setSnapshotId(snap).build());
        Csi.call(
                controller::deleteVolume,
                DeleteVolumeRequest.newBuilder()
                        .setVolumeId(source.getVolumeId())
                        .build());
        assertTrue(n1.getVolume(source.getVolumeId()).isEmpty());
        assertArrayEquals(data, read(n2, id, data.length), "the restored volume outlives its source");
        assertArrayEquals(data, read(n2, copy.getVolumeId(), data.length));
    }

    // ------------------------------------------------------------------------------------------ nodes

    private NodeAgent startNode(String id) throws IOException {
        int port = freePort();
        NodeAgent agent = NodeAgent.start(new AgentConfig(
                dir.resolve(id).resolve("pool"),
                OptionalLong.of(256 * MIB),
                dir.resolve(id).resolve("state"),
                dir.resolve(id).resolve("kubelet"),
                id,
                4,
                FuseConfig.defaults().withWorkers(2)));
        open.add(agent);
        KubernetesClient nodeClient = clientAs(NODE_USER_AGENT + "/" + id);
        open.add(nodeClient);
        Path token = dir.resolve(id + "-token");
        Files.writeString(token, NODE_TOKEN + "\n");
        AgentApiClient peers = new AgentApiClient(new TokenFile(token));
        open.add(peers);
        NodeClusterConfig config = NodeClusterConfig.of(
                        id, "127.0.0.1:" + port, "127.0.0.1:" + port, CONTROLLER.toString())
                .withIntervals(Duration.ofMillis(500), Duration.ofMillis(200), Duration.ofMinutes(5));
        open.add(NodeClusterAgent.start(
                nodeClient,
                config,
                agent,
                new PeerReplication(
                        agent.replicas(),
                        peers,
                        NODE,
                        source -> new Puller(agent.replicas(), agent.replicaPulls(), source))));
        return agent;
    }

    /** The node plugin's puller as the launcher adapts it. */
    private static final class Puller implements SnapshotPuller {
        private final ReplicaPuller puller;

        Puller(ReplicaTargetApi target, ReplicaPulls board, Supplier<ReplicaSourceApi> source) {
            this.puller = new ReplicaPuller(target, source, 5, 100, board);
        }

        @Override
        public PullProgress pull(String replicaId, String sourceSnapshotId, String snapshotId)
                throws InterruptedException {
            return progress(puller.pull(replicaId, sourceSnapshotId, snapshotId, 0));
        }

        @Override
        public Optional<PullProgress> progress() {
            return puller.status().map(Puller::progress);
        }

        private static PullProgress progress(PullStatus s) {
            return new PullProgress(
                    s.phase(), s.bytesDone(), s.bytesTotal(), s.bytesPerSecond(), s.etaSeconds(), "", s.message());
        }
    }

    /** TokenReview: the controller's token is the controller's account, the nodes' token the node account's. */
    private void answerTokenReviews() {
        server.expect()
                .post()
                .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                .andReply(201, req -> {
                    TokenReview asked = client.getKubernetesSerialization()
                            .unmarshal(req.getBody().readUtf8(), TokenReview.class);
                    String token = asked.getSpec().getToken();
                    String user = token.equals(CONTROLLER_TOKEN)
                            ? CONTROLLER.username()
                            : token.equals(NODE_TOKEN) ? NODE.username() : null;
                    TokenReviewBuilder answer = new TokenReviewBuilder(asked);
                    return user == null
                            ? answer.withNewStatus()
                                    .withAuthenticated(false)
                                    .withError("invalid bearer token")
                                    .endStatus()
                                    .build()
                            : answer.withNewStatus()
                                    .withAuthenticated(true)
                                    .withAudiences(asked.getSpec().getAudiences())
                                    .withNewUser()
                                    .withUsername(user)
                                    .endUser()
                                    .endStatus()
                                    .build();
                })
                .always();
    }

    // ------------------------------------------------------------------------------------------ CSI

    private static CreateVolumeRequest create(String name, String node, VolumeContentSource source) {
        Topology on = Topology.newBuilder()
                .putSegments("topology.vdisk.csi.dev/node", node)
                .build();
        CreateVolumeRequest.Builder b = CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(BLOCK)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(16 * MIB))
                .setAccessibilityRequirements(
                        TopologyRequirement.newBuilder().addRequisite(on).addPreferred(on));
        if (source != null) {
            b.setVolumeContentSource(source);
        }
        return b.build();
    }

    private List<String> eventReasons(String volumeId) {
        return client.v1().events().inAnyNamespace().list().getItems().stream()
                .filter(e -> volumeId.equals(e.getInvolvedObject().getName()))
                .map(Event::getReason)
                .toList();
    }

    // ------------------------------------------------------------------------------------------ data

    /** {@code data}'s MiBs at 0, {@link #STRIDE}, 2 {@link #STRIDE}...; holes between them. */
    private static void write(NodeAgent agent, String volumeId, byte[] data) throws IOException {
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
    }

    /** What {@link #write} wrote, read back from the same places. */
    private static byte[] read(NodeAgent agent, String volumeId, int length) throws IOException {
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
        return out;
    }

    private interface ChannelWork {
        void run(FileChannel ch) throws IOException;
    }

    /** Stages the volume as a block volume (what NodeStage does), runs {@code work} on its loop device, unstages. */
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

    // ------------------------------------------------------------------------------------------ plumbing

    private KubernetesClient clientAs(String userAgent) {
        return new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(client.getConfiguration())
                        .withUserAgent(userAgent)
                        .build())
                .build();
    }

    private void installCrds() throws IOException {
        for (String plural : List.of("vdiskvolumes", "vdisksnapshots", "vdiskgroupsnapshots", "vdisknodes")) {
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

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting for " + what);
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }
}
