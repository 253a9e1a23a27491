package dev.vdisk.kube.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerModifyVolumeRequest;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeGroupSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeGroupSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.GetCapacityRequest;
import csi.v1.GetVolumeGroupSnapshotRequest;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeContentSource;
import csi.v1.VolumeGroupSnapshot;
import dev.vdisk.api.agent.BlockExtent;
import dev.vdisk.controller.service.CloneSplitHook;
import dev.vdisk.controller.service.ControllerService;
import dev.vdisk.controller.service.GroupControllerService;
import dev.vdisk.kube.access.Component;
import dev.vdisk.kube.access.RecordedAccess;
import dev.vdisk.kube.resource.Failure;
import dev.vdisk.kube.resource.NodeCapacity;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.VdiskGroupSnapshot;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskNodeStatus;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskVolume;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.Status;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real Controller and GroupController services over {@link ResourceNodeAgents}, against the mock API server
 * (CRUD mode) and a {@link SimulatedNodeAgent} that reconciles the resources as the node agent does: the paths CSI
 * drives in cluster mode, the codes carried back from status.failure, the bounded wait and its idempotent retry, and
 * deletion while the node agent is away.
 */
@EnableKubernetesMockClient(crud = true)
class ControllerOverResourcesTest {

    static final String UA = "vdisk-controller-test";
    /** The bounded wait for a node agent: long enough for a loaded machine, short enough for the timeout test. */
    static final Duration WAIT = Duration.ofSeconds(5);

    static final long MIB = 1 << 20;
    static final VolumeCapability MOUNT = VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
            .build();

    KubernetesMockServer server;
    KubernetesClient client;
    KubernetesClient controllerClient;
    SimulatedNodeAgent n1;
    ResourceNodeAgents agents;
    ControllerService controller;
    GroupControllerService groups;

    @BeforeEach
    void setUp() {
        controllerClient = server.createClient(b -> b.withConfig(
                new ConfigBuilder(client.getConfiguration()).withUserAgent(UA).build()));
        n1 = new SimulatedNodeAgent(client, "n1", 1024 * MIB).start();
        agents = new ResourceNodeAgents(controllerClient, WAIT, new NoExtents());
        controller = new ControllerService(agents, CloneSplitHook.startingOn(agents));
        groups = new GroupControllerService(agents);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        n1.close();
        controllerClient.close();
    }

    @Test
    void createIsAResourceBoundToTheNodeAndIdempotent() {
        Volume v = create("pvc-a", 64 * MIB, Map.of()).getVolume();
        assertEquals(64 * MIB, v.getCapacityBytes());
        assertEquals("n1", v.getAccessibleTopology(0).getSegmentsMap().get("topology.vdisk.csi.dev/node"));

        VdiskVolume r =
                client.resources(VdiskVolume.class).withName(v.getVolumeId()).get();
        assertEquals("n1", r.getMetadata().getLabels().get(ResourceKeys.NODE_LABEL));
        assertTrue(r.getMetadata().getFinalizers().contains(ResourceKeys.NODE_AGENT_FINALIZER));
        assertEquals("pvc-a", r.getSpec().attributes().get("name"));

        assertEquals(v, create("pvc-a", 64 * MIB, Map.of()).getVolume(), "a retry answers the same volume");
        assertEquals(1, n1.creates.get(), "and creates nothing more");
        assertEquals(
                Status.Code.ALREADY_EXISTS, Csi.code(controller::createVolume, request("pvc-a", 128 * MIB, Map.of())));

        assertEquals(
                List.of(v.getVolumeId()),
                Csi.call(controller::listVolumes, ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                        .map(e -> e.getVolume().getVolumeId())
                        .toList());
        assertEquals(
                1024 * MIB - 64 * MIB,
                Csi.call(controller::getCapacity, GetCapacityRequest.getDefaultInstance())
                        .getAvailableCapacity());
    }

    @Test
    void aRefusalGivesTheStandaloneCodeAndLeavesNothing() {
        n1.refuse.put("pvc-full", new Failure("OUT_OF_SPACE", "pool of node n1 is full"));
        Csi.Failed e = assertThrowsFailed(() -> create("pvc-full", 64 * MIB, Map.of()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.status.getCode());
        assertEquals("pool of node n1 is full", e.status.getDescription());
        awaitGone(VdiskVolume.class, e.status.getDescription().isEmpty() ? "" : idOfName("pvc-full"));

        n1.refuse.remove("pvc-full");
        assertEquals(
                64 * MIB,
                create("pvc-full", 64 * MIB, Map.of()).getVolume().getCapacityBytes(),
                "a retry starts afresh");
    }

    @Test
    void snapshotCloneExpandModifyAndDelete() {
        String source = create("pvc-src", 64 * MIB, Map.of()).getVolume().getVolumeId();
        var snap = Csi.call(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-1")
                                .setSourceVolumeId(source)
                                .build())
                .getSnapshot();
        assertTrue(snap.getReadyToUse());
        assertEquals(64 * MIB, snap.getSizeBytes());
        assertEquals(
                "n1",
                client.resources(VdiskSnapshot.class)
                        .withName(snap.getSnapshotId())
                        .get()
                        .getSpec()
                        .nodeName());
        assertEquals(
                Status.Code.ALREADY_EXISTS,
                Csi.code(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-1")
                                .setSourceVolumeId("other")
                                .build()));

        Volume clone = Csi.call(
                        controller::createVolume,
                        request("pvc-clone", 64 * MIB, Map.of()).toBuilder()
                                .setVolumeContentSource(VolumeContentSource.newBuilder()
                                        .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                                .setSnapshotId(snap.getSnapshotId())))
                                .build())
                .getVolume();
        assertEquals(
                snap.getSnapshotId(), clone.getContentSource().getSnapshot().getSnapshotId());
        assertEquals(
                snap.getSnapshotId(),
                client.resources(VdiskVolume.class)
                        .withName(clone.getVolumeId())
                        .get()
                        .getSpec()
                        .sourceSnapshotId());

        Volume ofVolume = Csi.call(
                        controller::createVolume,
                        request("pvc-vclone", 64 * MIB, Map.of()).toBuilder()
                                .setVolumeContentSource(VolumeContentSource.newBuilder()
                                        .setVolume(VolumeContentSource.VolumeSource.newBuilder()
                                                .setVolumeId(source)))
                                .build())
                .getVolume();
        assertEquals(
                1,
                Csi.call(controller::listSnapshots, ListSnapshotsRequest.getDefaultInstance())
                        .getEntriesCount(),
                "the internal snapshot of a volume clone is gone again");
        assertEquals(1, n1.volumes.get(ofVolume.getVolumeId()).depth());

        assertEquals(
                128 * MIB,
                Csi.call(
                                controller::controllerExpandVolume,
                                ControllerExpandVolumeRequest.newBuilder()
                                        .setVolumeId(source)
                                        .setCapacityRange(
                                                CapacityRange.newBuilder().setRequiredBytes(128 * MIB))
                                        .build())
                        .getCapacityBytes());
        assertEquals(128 * MIB, n1.volumes.get(source).size());

        Csi.call(
                controller::controllerModifyVolume,
                ControllerModifyVolumeRequest.newBuilder()
                        .setVolumeId(source)
                        .putMutableParameters("maxIops", "500")
                        .build());
        assertEquals("500", n1.volumes.get(source).attributes().get("maxIops"));
        assertEquals(
                "500",
                client.resources(VdiskVolume.class)
                        .withName(source)
                        .get()
                        .getStatus()
                        .attributes()
                        .get("maxIops"));

        Csi.call(
                controller::deleteSnapshot,
                DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId(snap.getSnapshotId())
                        .build());
        Csi.call(
                controller::deleteVolume,
                DeleteVolumeRequest.newBuilder()
                        .setVolumeId(clone.getVolumeId())
                        .build());
        Csi.call(
                controller::deleteVolume,
                DeleteVolumeRequest.newBuilder().setVolumeId(source).build());
        assertNull(client.resources(VdiskSnapshot.class)
                .withName(snap.getSnapshotId())
                .get());
        assertNull(client.resources(VdiskVolume.class).withName(source).get());
        assertFalse(n1.volumes.containsKey(source));
        assertEquals(Set.of(ofVolume.getVolumeId()), n1.volumes.keySet());
    }

    @Test
    void aRefusedExpandIsRevertedAndCarriesItsCode() {
        String id = create("pvc-grow", 64 * MIB, Map.of()).getVolume().getVolumeId();
        n1.refuse.put(id, new Failure("OUT_OF_SPACE", "cannot grow"));
        assertEquals(
                Status.Code.RESOURCE_EXHAUSTED,
                Csi.code(
                        controller::controllerExpandVolume,
                        ControllerExpandVolumeRequest.newBuilder()
                                .setVolumeId(id)
                                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(128 * MIB))
                                .build()));
        assertEquals(
                64 * MIB,
                client.resources(VdiskVolume.class).withName(id).get().getSpec().sizeBytes(),
                "the spec asks for what the pool has again");
        n1.refuse.remove(id);
        assertEquals(
                128 * MIB,
                Csi.call(
                                controller::controllerExpandVolume,
                                ControllerExpandVolumeRequest.newBuilder()
                                        .setVolumeId(id)
                                        .setCapacityRange(
                                                CapacityRange.newBuilder().setRequiredBytes(128 * MIB))
                                        .build())
                        .getCapacityBytes());
    }

    @Test
    void splitOnCloneIsSetInTheSpecAndReportedFromStatus() {
        String source = create("pvc-s", 64 * MIB, Map.of()).getVolume().getVolumeId();
        var snap = Csi.call(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-s")
                                .setSourceVolumeId(source)
                                .build())
                .getSnapshot();
        Volume clone = Csi.call(
                        controller::createVolume,
                        request("pvc-sc", 64 * MIB, Map.of("splitOnClone", "copy")).toBuilder()
                                .setVolumeContentSource(VolumeContentSource.newBuilder()
                                        .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                                .setSnapshotId(snap.getSnapshotId())))
                                .build())
                .getVolume();
        VdiskVolume r = client.resources(VdiskVolume.class)
                .withName(clone.getVolumeId())
                .get();
        assertEquals("copy", r.getSpec().split().mode());
        assertEquals("DONE", r.getStatus().split().phase());
        assertEquals(
                "DONE",
                Csi.call(
                                controller::controllerGetVolume,
                                ControllerGetVolumeRequest.newBuilder()
                                        .setVolumeId(clone.getVolumeId())
                                        .build())
                        .getVolume()
                        .getVolumeContextMap()
                        .get("vdisk.csi.dev/split"));
    }

    @Test
    void groupSnapshotTakesMembersAndGoesWithTheLast() {
        String a = create("pvc-g1", 8 * MIB, Map.of()).getVolume().getVolumeId();
        String b = create("pvc-g2", 8 * MIB, Map.of()).getVolume().getVolumeId();
        VolumeGroupSnapshot g = Csi.call(
                        groups::createVolumeGroupSnapshot,
                        CreateVolumeGroupSnapshotRequest.newBuilder()
                                .setName("group-1")
                                .addSourceVolumeIds(a)
                                .addSourceVolumeIds(b)
                                .build())
                .getGroupSnapshot();
        assertEquals(2, g.getSnapshotsCount());
        g.getSnapshotsList().forEach(s -> assertEquals(g.getGroupSnapshotId(), s.getGroupSnapshotId()));
        assertNotNull(client.resources(VdiskGroupSnapshot.class)
                .withName(g.getGroupSnapshotId())
                .get());
        assertEquals(
                g.getSnapshotsList(),
                Csi.call(
                                groups::getVolumeGroupSnapshot,
                                GetVolumeGroupSnapshotRequest.newBuilder()
                                        .setGroupSnapshotId(g.getGroupSnapshotId())
                                        .build())
                        .getGroupSnapshot()
                        .getSnapshotsList());

        Csi.call(
                groups::deleteVolumeGroupSnapshot,
                DeleteVolumeGroupSnapshotRequest.newBuilder()
                        .setGroupSnapshotId(g.getGroupSnapshotId())
                        .build());
        awaitGone(VdiskGroupSnapshot.class, g.getGroupSnapshotId());
        assertEquals(0, client.resources(VdiskSnapshot.class).list().getItems().size());
    }

    /**
     * The mock server accepts any name; the real one refuses (422) what is not an RFC 1123 subdomain, and a label
     * value that is not one of at most 63 characters. Every object the controller writes, for awkward CSI names and
     * for a volume clone (whose internal snapshot was {@code clonesrc_<id>}), must pass those rules (issue 16).
     */
    @Test
    void everyNameAndLabelWrittenToTheApiServerIsValidThere() throws InterruptedException {
        List<ObjectMeta> written = new CopyOnWriteArrayList<>();
        List<Watch> watches = Stream.of(VdiskVolume.class, VdiskSnapshot.class, VdiskGroupSnapshot.class)
                .map(type -> watchAdded(type, written))
                .toList();
        try {
            String source = create("PVC_Data", 8 * MIB, Map.of()).getVolume().getVolumeId();
            String snapshot = Csi.call(
                            controller::createSnapshot,
                            CreateSnapshotRequest.newBuilder()
                                    .setName("Snapshot One \u00e9")
                                    .setSourceVolumeId(source)
                                    .build())
                    .getSnapshot()
                    .getSnapshotId();
            Csi.call(
                    controller::createVolume,
                    request("pvc-clone-of-volume", 8 * MIB, Map.of()).toBuilder()
                            .setVolumeContentSource(VolumeContentSource.newBuilder()
                                    .setVolume(VolumeContentSource.VolumeSource.newBuilder()
                                            .setVolumeId(source)))
                            .build());
            Csi.call(
                    controller::createVolume,
                    request("x".repeat(200), 8 * MIB, Map.of()).toBuilder()
                            .setVolumeContentSource(VolumeContentSource.newBuilder()
                                    .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                            .setSnapshotId(snapshot)))
                            .build());
            Csi.call(
                    groups::createVolumeGroupSnapshot,
                    CreateVolumeGroupSnapshotRequest.newBuilder()
                            .setName("Group_" + "g".repeat(80))
                            .addSourceVolumeIds(source)
                            .build());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (written.size() < 7 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } finally {
            watches.forEach(Watch::close);
        }
        List<String> names = written.stream().map(ObjectMeta::getName).toList();
        for (var meta : written) {
            assertTrue(ApiServerNames.validObjectName(meta.getName()), "refused by the API server: " + meta.getName());
            meta.getLabels()
                    .forEach((k, v) -> assertTrue(
                            ApiServerNames.validLabelValue(v),
                            "label " + k + "=" + v + " of " + meta.getName() + " refused by the API server"));
        }
        assertTrue(
                names.stream().anyMatch(n -> n.endsWith("--clonesrc")), "a volume clone's internal snapshot: " + names);
        assertEquals(7, names.size(), "three volumes, a snapshot, a clone source, a group and its member: " + names);
    }

    private <T extends HasMetadata> Watch watchAdded(Class<T> type, List<ObjectMeta> written) {
        return client.resources(type).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, T resource) {
                if (action == Action.ADDED) {
                    written.add(resource.getMetadata());
                }
            }

            @Override
            public void onClose(WatcherException cause) {}
        });
    }

    @Test
    void aSilentNodeAgentTimesOutAndARetryPicksUpTheSameRequest() throws InterruptedException {
        publishNode("n2");
        long t0 = System.nanoTime();
        assertEquals(Status.Code.ABORTED, Csi.code(controller::createVolume, requestOn("pvc-late", "n2")));
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(
                waited >= WAIT.toMillis() - 100 && waited < WAIT.toMillis() + 10_000,
                "bounded by the wait: " + waited + " ms");
        String id = idOfName("pvc-late");
        assertEquals(
                "n2",
                client.resources(VdiskVolume.class).withName(id).get().getSpec().nodeName());

        try (SimulatedNodeAgent n2 = new SimulatedNodeAgent(client, "n2", 1024 * MIB).start()) {
            assertEquals(
                    id,
                    Csi.call(controller::createVolume, requestOn("pvc-late", "n2"))
                            .getVolume()
                            .getVolumeId());
            assertEquals(1, n2.creates.get());
        }
    }

    @Test
    void aDeleteWhileTheNodeAgentIsAwayReturnsAndIsKept() throws InterruptedException {
        String id = create("pvc-away", 8 * MIB, Map.of()).getVolume().getVolumeId();
        n1.close();
        Csi.call(
                controller::deleteVolume,
                DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        VdiskVolume r = client.resources(VdiskVolume.class).withName(id).get();
        assertNotNull(r.getMetadata().getDeletionTimestamp(), "terminating");
        assertEquals(List.of(ResourceKeys.NODE_AGENT_FINALIZER), r.getMetadata().getFinalizers());
        assertEquals(
                0,
                Csi.call(controller::listVolumes, ListVolumesRequest.getDefaultInstance())
                        .getEntriesCount());
        Csi.call(
                controller::deleteVolume,
                DeleteVolumeRequest.newBuilder().setVolumeId(id).build());

        n1 = new SimulatedNodeAgent(client, "n1", 1024 * MIB);
        n1.volumes.put(id, new SimulatedNodeAgent.Vol(8 * MIB, null, 0, Map.of()));
        n1.start();
        awaitGone(VdiskVolume.class, id);
        assertFalse(n1.volumes.containsKey(id), "the returning agent finished the delete");
    }

    @Test
    void aStagedVolumeIsNotDeleted() {
        String id = create("pvc-staged", 8 * MIB, Map.of()).getVolume().getVolumeId();
        n1.stage(id, true);
        assertEquals(
                Status.Code.FAILED_PRECONDITION,
                Csi.code(
                        controller::deleteVolume,
                        DeleteVolumeRequest.newBuilder().setVolumeId(id).build()));
        assertNull(client.resources(VdiskVolume.class)
                .withName(id)
                .get()
                .getMetadata()
                .getDeletionTimestamp());
    }

    @Test
    void theControllerUsesOnlyWhatItDeclares() {
        RecordedAccess.drain(server);
        String source = create("pvc-r", 8 * MIB, Map.of()).getVolume().getVolumeId();
        var snap = Csi.call(
                        controller::createSnapshot,
                        CreateSnapshotRequest.newBuilder()
                                .setName("snap-r")
                                .setSourceVolumeId(source)
                                .build())
                .getSnapshot();
        Csi.call(
                controller::controllerExpandVolume,
                ControllerExpandVolumeRequest.newBuilder()
                        .setVolumeId(source)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(16 * MIB))
                        .build());
        Csi.call(controller::listVolumes, ListVolumesRequest.getDefaultInstance());
        Csi.call(controller::getCapacity, GetCapacityRequest.getDefaultInstance());
        Csi.call(
                groups::createVolumeGroupSnapshot,
                CreateVolumeGroupSnapshotRequest.newBuilder()
                        .setName("group-r")
                        .addSourceVolumeIds(source)
                        .build());
        Csi.call(
                controller::deleteSnapshot,
                DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId(snap.getSnapshotId())
                        .build());
        Csi.call(
                controller::deleteVolume,
                DeleteVolumeRequest.newBuilder().setVolumeId(source).build());
        var seen = RecordedAccess.assertDeclared(server, Component.CONTROLLER, UA);
        assertTrue(
                seen.contains(new RecordedAccess.Access(ResourceKeys.GROUP, "vdiskvolumes", "create")),
                seen.toString());
        assertTrue(
                seen.contains(new RecordedAccess.Access(ResourceKeys.GROUP, "vdiskvolumes", "watch")), seen.toString());
        assertTrue(
                seen.contains(new RecordedAccess.Access(ResourceKeys.GROUP, "vdisksnapshots", "delete")),
                seen.toString());
    }

    // ---------------------------------------------------------------- helpers

    private CreateVolumeResponse create(String name, long bytes, Map<String, String> params) {
        return Csi.call(controller::createVolume, request(name, bytes, params));
    }

    private static CreateVolumeRequest request(String name, long bytes, Map<String, String> params) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(MOUNT)
                .putAllParameters(params)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                .build();
    }

    private static CreateVolumeRequest requestOn(String name, String node) {
        Topology t = Topology.newBuilder()
                .putSegments("topology.vdisk.csi.dev/node", node)
                .build();
        return request(name, 8 * MIB, Map.of()).toBuilder()
                .setAccessibilityRequirements(
                        TopologyRequirement.newBuilder().addRequisite(t).addPreferred(t))
                .build();
    }

    /** The volume ID the controller gave a CreateVolume name (its resource carries the name as an attribute). */
    private String idOfName(String name) {
        return client.resources(VdiskVolume.class).list().getItems().stream()
                .filter(v -> name.equals(v.getSpec().attributes().get("name")))
                .map(v -> v.getMetadata().getName())
                .findFirst()
                .orElse("no-volume-named-" + name);
    }

    private void publishNode(String node) {
        VdiskNode n = new VdiskNode();
        n.setMetadata(new ObjectMetaBuilder().withName(node).build());
        client.resources(VdiskNode.class).resource(n).create();
        client.resources(VdiskNode.class).withName(node).editStatus(x -> {
            x.setStatus(new VdiskNodeStatus(new NodeCapacity(1024 * MIB, 1024 * MIB, 0), null, null, List.of()));
            return x;
        });
    }

    private <T extends HasMetadata> void awaitGone(Class<T> type, String name) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (client.resources(type).withName(name).get() != null) {
            assertTrue(System.nanoTime() < deadline, name + " still exists after 10 s");
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static Csi.Failed assertThrowsFailed(Runnable r) {
        try {
            r.run();
        } catch (Csi.Failed e) {
            return e;
        }
        throw new AssertionError("expected the call to fail");
    }

    /** No snapshot metadata in these tests (the internal API has its own). */
    static final class NoExtents implements SnapshotExtents {
        @Override
        public Iterator<BlockExtent> allocated(String node, String snapshotId, long startOffset) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Iterator<BlockExtent> delta(String node, String base, String target, long offset) {
            throw new UnsupportedOperationException();
        }
    }
}
