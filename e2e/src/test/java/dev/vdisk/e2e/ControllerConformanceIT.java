package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerExpandVolumeResponse;
import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGetVolumeResponse;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerModifyVolumeRequest;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.GetCapacityRequest;
import csi.v1.GetCapacityResponse;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.IdentityGrpc;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.NodeExpandVolumeRequest;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.PluginCapability;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeContentSource;
import csi.v1.VolumeUsage;
import dev.vdisk.node.testing.Privileged;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Controller service of {@code bin/vdisk-csi standalone}, checked against the CSI v1.12 spec text over the real
 * socket: each RPC with valid input, idempotent repeats, every error code the plugin documents, concurrency,
 * pagination, topology, capacity accounting, expansion, and a whole volume lifecycle through the Node service. One
 * process serves the class (its pool is 2 GiB, sparse); every test deletes what it created.
 */
@ExtendWith(Privileged.class)
class ControllerConformanceIT {
    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;
    private static final String NODE = "e2e-node";
    private static final String KEY = "topology.vdisk.csi.dev/node";

    @TempDir
    static Path dir;

    private static StandaloneFixture standalone;
    private static ControllerGrpc.ControllerBlockingStub controller;
    private static NodeGrpc.NodeBlockingStub node;

    @BeforeAll
    static void start() throws Exception {
        standalone = StandaloneFixture.start(dir, "2G");
        controller = standalone.controller;
        node = standalone.node;
    }

    @AfterAll
    static void stop() throws Exception {
        StandaloneFixture.stop(standalone, dir);
    }

    // ---------------------------------------------------------------- request builders

    static VolumeCapability mount(String fs, Mode mode) {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fs))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }

    static VolumeCapability block(Mode mode) {
        return VolumeCapability.newBuilder()
                .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }

    static CreateVolumeRequest.Builder create(String name, long required) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(mount("ext4", Mode.SINGLE_NODE_WRITER))
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(required))
                .putParameters("csi.storage.k8s.io/pvc/name", "claim")
                .putParameters("csi.storage.k8s.io/pv/name", name);
    }

    static Topology topology(String nodeId) {
        return Topology.newBuilder().putSegments(KEY, nodeId).build();
    }

    static void delete(String volumeId) {
        controller.deleteVolume(
                DeleteVolumeRequest.newBuilder().setVolumeId(volumeId).build());
    }

    static Status.Code code(Supplier<?> call) {
        return assertThrows(StatusRuntimeException.class, call::get).getStatus().getCode();
    }

    static StatusRuntimeException error(Supplier<?> call) {
        return assertThrows(StatusRuntimeException.class, call::get);
    }

    /**
     * What the node may still provision by the sizes rule (maximum_volume_size). available_capacity is at most this:
     * it is also capped by what the thin pool can really still write, which reserves and metadata move.
     */
    static long provisionable() {
        GetCapacityResponse answer = controller.getCapacity(GetCapacityRequest.newBuilder()
                .setAccessibleTopology(topology(NODE))
                .build());
        assertTrue(
                answer.getAvailableCapacity() <= answer.getMaximumVolumeSize().getValue(), answer.toString());
        return answer.getMaximumVolumeSize().getValue();
    }

    // ---------------------------------------------------------------- tests

    @Test
    void advertisesExactlyWhatWorks() {
        assertEquals(
                List.of(
                        Type.CREATE_DELETE_VOLUME,
                        Type.LIST_VOLUMES,
                        Type.GET_CAPACITY,
                        Type.EXPAND_VOLUME,
                        Type.GET_VOLUME,
                        Type.VOLUME_CONDITION,
                        Type.SINGLE_NODE_MULTI_WRITER,
                        Type.MODIFY_VOLUME,
                        Type.CREATE_DELETE_SNAPSHOT,
                        Type.LIST_SNAPSHOTS,
                        Type.GET_SNAPSHOT,
                        Type.CLONE_VOLUME),
                controller
                        .controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance())
                        .getCapabilitiesList()
                        .stream()
                        .map(c -> c.getRpc().getType())
                        .toList());
        List<PluginCapability> plugin = IdentityGrpc.newBlockingStub(standalone.channel)
                .getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList();
        assertTrue(plugin.stream()
                .anyMatch(c -> c.getService().getType() == PluginCapability.Service.Type.CONTROLLER_SERVICE));
        assertTrue(plugin.stream()
                .anyMatch(c -> c.getVolumeExpansion().getType() == PluginCapability.VolumeExpansion.Type.ONLINE));
        // not advertised, so not served: node-local volumes need no attach
        assertEquals(
                Status.Code.UNIMPLEMENTED,
                code(() -> controller.controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId("x")
                        .setNodeId(NODE)
                        .build())));
    }

    @Test
    void createIsIdempotentByNameAndDeleteByVolumeId() {
        long before = provisionable();
        Volume v = controller
                .createVolume(create("pvc-idem", 100 * MIB + 1)
                        .putParameters("fsType", "ext4")
                        .build())
                .getVolume();
        try {
            assertEquals("pvc-idem", v.getVolumeId(), "a readable name is the volume ID");
            assertEquals(100 * MIB + 4096, v.getCapacityBytes(), "rounded up to 4 KiB");
            assertEquals(List.of(topology(NODE)), v.getAccessibleTopologyList());
            assertEquals(
                    before - v.getCapacityBytes(), provisionable(), "maximum_volume_size counts provisioned sizes");
            assertEquals(
                    v,
                    controller
                            .createVolume(create("pvc-idem", 100 * MIB + 1)
                                    .putParameters("fsType", "ext4")
                                    .build())
                            .getVolume(),
                    "same name, same arguments: the same volume");
            assertEquals(
                    v,
                    controller
                            .createVolume(create("pvc-idem", 50 * MIB)
                                    .putParameters("fsType", "ext4")
                                    .build())
                            .getVolume(),
                    "an existing volume inside the new range is compatible");
            assertEquals(
                    Status.Code.ALREADY_EXISTS,
                    code(() -> controller.createVolume(create("pvc-idem", 200 * MIB)
                            .putParameters("fsType", "ext4")
                            .build())),
                    "bigger than the existing one");
            assertEquals(
                    Status.Code.ALREADY_EXISTS,
                    code(() -> controller.createVolume(create("pvc-idem", 100 * MIB)
                            .clearVolumeCapabilities()
                            .addVolumeCapabilities(mount("xfs", Mode.SINGLE_NODE_WRITER))
                            .build())),
                    "another file system");

            // a name that is not a readable ID gets a stable derived one, itself a valid Kubernetes object name
            Volume odd =
                    controller.createVolume(create("Odd Name #1", MIB).build()).getVolume();
            assertTrue(odd.getVolumeId().matches("odd-name-1--[0-9a-f]{32}"), odd.getVolumeId());
            assertEquals(
                    odd.getVolumeId(),
                    controller
                            .createVolume(create("Odd Name #1", MIB).build())
                            .getVolume()
                            .getVolumeId());
            delete(odd.getVolumeId());

            ControllerGetVolumeResponse got = controller.controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                    .setVolumeId("pvc-idem")
                    .build());
            assertEquals(v, got.getVolume());
            assertTrue(got.getStatus().hasVolumeCondition(), "VOLUME_CONDITION: the condition MUST be set");
            assertFalse(got.getStatus().getVolumeCondition().getAbnormal());
        } finally {
            delete("pvc-idem");
        }
        delete("pvc-idem"); // spec: a volume that does not exist -> OK
        delete("never-existed");
        assertEquals(before, provisionable());
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> controller.controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                        .setVolumeId("pvc-idem")
                        .build())));
    }

    @Test
    void everyDocumentedErrorCode() {
        record Case(Status.Code code, String text, CreateVolumeRequest request) {}
        List<Case> cases = List.of(
                new Case(
                        Status.Code.INVALID_ARGUMENT,
                        "name missing in request",
                        create("", MIB).build()),
                new Case(
                        Status.Code.INVALID_ARGUMENT,
                        "volume_capabilities missing in request",
                        create("e1", MIB).clearVolumeCapabilities().build()),
                new Case(
                        Status.Code.INVALID_ARGUMENT,
                        "MULTI_NODE_MULTI_WRITER",
                        create("e1", MIB)
                                .addVolumeCapabilities(mount("ext4", Mode.MULTI_NODE_MULTI_WRITER))
                                .build()),
                new Case(
                        Status.Code.INVALID_ARGUMENT,
                        "fs_type btrfs",
                        create("e1", MIB)
                                .clearVolumeCapabilities()
                                .addVolumeCapabilities(mount("btrfs", Mode.SINGLE_NODE_WRITER))
                                .build()),
                new Case(
                        Status.Code.INVALID_ARGUMENT,
                        "unknown parameter 'fstype'",
                        create("e1", MIB).putParameters("fstype", "ext4").build()),
                new Case(
                        Status.Code.INVALID_ARGUMENT,
                        "splitOnClone",
                        create("e1", MIB)
                                .putParameters("splitOnClone", "sometimes")
                                .build()),
                new Case(
                        Status.Code.INVALID_ARGUMENT,
                        "maxChainDepth",
                        create("e1", MIB).putParameters("maxChainDepth", "0").build()),
                new Case(
                        Status.Code.INVALID_ARGUMENT,
                        "capacity_range must not be negative",
                        create("e1", MIB)
                                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(-5))
                                .build()),
                new Case(
                        Status.Code.NOT_FOUND,
                        "snapshot s does not exist",
                        create("e1", MIB)
                                .setVolumeContentSource(VolumeContentSource.newBuilder()
                                        .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                                .setSnapshotId("s")))
                                .build()),
                new Case(
                        Status.Code.INVALID_ARGUMENT,
                        "only topology key",
                        create("e1", MIB)
                                .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                                        .addRequisite(Topology.newBuilder().putSegments("zone", "a")))
                                .build()),
                new Case(
                        Status.Code.OUT_OF_RANGE,
                        "above limit_bytes",
                        create("e1", 4097)
                                .setCapacityRange(CapacityRange.newBuilder()
                                        .setRequiredBytes(4097)
                                        .setLimitBytes(4097))
                                .build()),
                new Case(
                        Status.Code.OUT_OF_RANGE,
                        "largest volume",
                        create("e1", 3 * GIB).build()),
                new Case(
                        Status.Code.RESOURCE_EXHAUSTED,
                        "no node agent known for it",
                        create("e1", MIB)
                                .setAccessibilityRequirements(
                                        TopologyRequirement.newBuilder().addRequisite(topology("elsewhere")))
                                .build()),
                new Case(
                        Status.Code.RESOURCE_EXHAUSTED,
                        "left to provision",
                        create("e1", GIB + 4096).build()));
        controller.createVolume(create("e-holder", GIB).build()); // half the pool is promised: GIB + 4096 cannot fit
        try {
            for (Case k : cases) {
                StatusRuntimeException e = error(() -> controller.createVolume(k.request()));
                assertEquals(k.code(), e.getStatus().getCode(), e.getStatus().toString());
                assertTrue(
                        e.getStatus().getDescription().contains(k.text()), e.getStatus() + " should say " + k.text());
            }
        } finally {
            delete("e-holder");
        }
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> controller.controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                        .setVolumeId("e1")
                        .build())),
                "nothing was created by the refused calls");
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> controller.deleteVolume(DeleteVolumeRequest.getDefaultInstance())));
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> controller.validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                        .setVolumeId("e1")
                        .addVolumeCapabilities(block(Mode.SINGLE_NODE_WRITER))
                        .build())));
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> controller.controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                        .setVolumeId("e1")
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(MIB))
                        .build())));
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> controller.controllerModifyVolume(ControllerModifyVolumeRequest.newBuilder()
                        .setVolumeId("e1")
                        .putMutableParameters("maxIops", "10")
                        .build())));
        assertEquals(
                Status.Code.ABORTED,
                code(() -> controller.listVolumes(ListVolumesRequest.newBuilder()
                        .setStartingToken("not-ours")
                        .build())));
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> controller.listVolumes(
                        ListVolumesRequest.newBuilder().setMaxEntries(-1).build())));
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> controller.getCapacity(GetCapacityRequest.newBuilder()
                        .putParameters("bogus", "1")
                        .build())));
    }

    @Test
    void validateModifyAndTopology() {
        Volume v = controller
                .createVolume(create("pvc-topo", 64 * MIB)
                        .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                                .addRequisite(topology("gone"))
                                .addRequisite(topology(NODE))
                                .addPreferred(topology("gone"))
                                .addPreferred(topology(NODE)))
                        .build())
                .getVolume();
        try {
            assertEquals(
                    List.of(topology(NODE)), v.getAccessibleTopologyList(), "the first preferred node that is known");
            ValidateVolumeCapabilitiesResponse ok =
                    controller.validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                            .setVolumeId("pvc-topo")
                            .addVolumeCapabilities(block(Mode.SINGLE_NODE_MULTI_WRITER))
                            .addVolumeCapabilities(mount("ext4", Mode.SINGLE_NODE_READER_ONLY))
                            .putParameters("splitOnClone", "share")
                            .build());
            assertTrue(ok.hasConfirmed(), ok.toString());
            assertEquals(2, ok.getConfirmed().getVolumeCapabilitiesCount());
            for (ValidateVolumeCapabilitiesRequest no : List.of(
                    ValidateVolumeCapabilitiesRequest.newBuilder()
                            .setVolumeId("pvc-topo")
                            .addVolumeCapabilities(block(Mode.SINGLE_NODE_WRITER))
                            .addVolumeCapabilities(block(Mode.MULTI_NODE_READER_ONLY))
                            .build(),
                    ValidateVolumeCapabilitiesRequest.newBuilder()
                            .setVolumeId("pvc-topo")
                            .addVolumeCapabilities(block(Mode.SINGLE_NODE_WRITER))
                            .putParameters("nope", "1")
                            .build())) {
                ValidateVolumeCapabilitiesResponse r = controller.validateVolumeCapabilities(no);
                assertFalse(r.hasConfirmed(), r.toString());
                assertFalse(r.getMessage().isEmpty());
            }
            controller.controllerModifyVolume(ControllerModifyVolumeRequest.newBuilder()
                    .setVolumeId("pvc-topo")
                    .putMutableParameters("maxIops", "500")
                    .putMutableParameters("maxBytesPerSecond", "10485760")
                    .build());
            controller.controllerModifyVolume(ControllerModifyVolumeRequest.newBuilder()
                    .setVolumeId("pvc-topo")
                    .putMutableParameters("maxIops", "500")
                    .build()); // idempotent
            assertEquals(
                    Status.Code.INVALID_ARGUMENT,
                    code(() -> controller.controllerModifyVolume(ControllerModifyVolumeRequest.newBuilder()
                            .setVolumeId("pvc-topo")
                            .putMutableParameters("fsType", "xfs")
                            .build())));
            assertEquals(
                    Status.Code.ALREADY_EXISTS,
                    code(() -> controller.createVolume(create("pvc-topo", 64 * MIB)
                            .setAccessibilityRequirements(
                                    TopologyRequirement.newBuilder().addRequisite(topology("other")))
                            .build())),
                    "exists, but not in the requisite topology");
            assertEquals(
                    0,
                    controller
                            .getCapacity(GetCapacityRequest.newBuilder()
                                    .setAccessibleTopology(topology("other"))
                                    .build())
                            .getAvailableCapacity(),
                    "unknown segment");
            assertEquals(
                    provisionable(),
                    controller
                            .getCapacity(GetCapacityRequest.newBuilder().build())
                            .getMaximumVolumeSize()
                            .getValue(),
                    "one node: the largest volume is what is left of its pool");
            assertTrue(provisionable() <= 2 * GIB - 64 * MIB);
        } finally {
            delete("pvc-topo");
        }
    }

    @Test
    void concurrentCreatesOfOneNameMakeOneVolume() throws Exception {
        int threads = 24;
        var ids = new ConcurrentLinkedQueue<String>();
        var errors = new ConcurrentLinkedQueue<Throwable>();
        CountDownLatch go = new CountDownLatch(1);
        try (var pool = Executors.newFixedThreadPool(threads)) {
            for (int i = 0; i < threads; i++) {
                pool.submit((Callable<Void>) () -> {
                    go.await();
                    try {
                        ids.add(controller
                                .createVolume(create("pvc-race", 32 * MIB).build())
                                .getVolume()
                                .getVolumeId());
                    } catch (RuntimeException e) {
                        errors.add(e);
                    }
                    return null;
                });
            }
            go.countDown();
        }
        try {
            assertEquals(List.of(), List.copyOf(errors));
            assertEquals(threads, ids.size());
            assertEquals(Set.of("pvc-race"), Set.copyOf(ids));
            assertEquals(
                    1,
                    controller.listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                            .filter(e -> e.getVolume().getVolumeId().startsWith("pvc-race"))
                            .count());
        } finally {
            delete("pvc-race");
        }
    }

    @Test
    void paginationAcrossCreatesAndDeletes() {
        List<String> ours = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String id = "page-%02d".formatted(i);
            controller.createVolume(create(id, MIB).build());
            ours.add(id);
        }
        try {
            List<String> seen = new ArrayList<>();
            ListVolumesResponse page = controller.listVolumes(
                    ListVolumesRequest.newBuilder().setMaxEntries(5).build());
            int pages = 1;
            while (true) {
                assertTrue(page.getEntriesCount() <= 5);
                page.getEntriesList().forEach(e -> {
                    seen.add(e.getVolume().getVolumeId());
                    assertTrue(e.getStatus().hasVolumeCondition());
                });
                if (page.getNextToken().isEmpty()) {
                    break;
                }
                if (pages == 1) {
                    // between pages: delete one listed and one not yet listed, create one that sorts later
                    delete("page-01");
                    delete("page-07");
                    ours.remove("page-01");
                    ours.remove("page-07");
                    controller.createVolume(create("page-99", MIB).build());
                    ours.add("page-99");
                }
                page = controller.listVolumes(ListVolumesRequest.newBuilder()
                        .setMaxEntries(5)
                        .setStartingToken(page.getNextToken())
                        .build());
                pages++;
            }
            assertEquals(seen.size(), new HashSet<>(seen).size(), "no volume twice: " + seen);
            for (String id : ours) {
                assertTrue(seen.contains(id), id + " missed: " + seen);
            }
            assertFalse(seen.contains("page-07"), "deleted before its page");
            assertTrue(pages >= 3, "paged: " + pages);
        } finally {
            ours.forEach(ControllerConformanceIT::delete);
            delete("page-01");
        }
    }

    @Test
    void lifecycleCreateStagePublishWriteExpandDelete() throws Exception {
        // xfs: ext4's online grow needs CAP_SYS_RESOURCE, which some test containers drop (NodeLifecycleIT covers it)
        VolumeCapability xfs = mount("xfs", Mode.SINGLE_NODE_SINGLE_WRITER);
        String id = controller
                .createVolume(create("pvc-life", 320 * MIB)
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(xfs)
                        .build())
                .getVolume()
                .getVolumeId();
        Path kubelet = dir.resolve("kubelet");
        Path staging = kubelet.resolve("plugins/kubernetes.io/csi/vdisk.csi.dev/" + id + "/globalmount");
        Path target = kubelet.resolve("pods/pod-1/volumes/kubernetes.io~csi/" + id + "/mount");
        Files.createDirectories(target.getParent());
        boolean staged = false;
        try {
            node.nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setStagingTargetPath(staging.toString())
                    .setVolumeCapability(xfs)
                    .build());
            staged = true;
            node.nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setStagingTargetPath(staging.toString())
                    .setTargetPath(target.toString())
                    .setVolumeCapability(xfs)
                    .build());
            byte[] data = new byte[8 * (int) MIB];
            new Random(7).nextBytes(data);
            Files.write(target.resolve("data.bin"), data);
            KernelView.run("sync", target.resolve("data.bin").toString());
            assertArrayEquals(data, Files.readAllBytes(target.resolve("data.bin")));
            assertEquals(
                    Status.Code.FAILED_PRECONDITION,
                    code(() -> controller.deleteVolume(
                            DeleteVolumeRequest.newBuilder().setVolumeId(id).build())),
                    "spec: volume in use");

            ControllerExpandVolumeResponse grown =
                    controller.controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                            .setVolumeId(id)
                            .setVolumeCapability(xfs)
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(512 * MIB))
                            .build());
            assertEquals(512 * MIB, grown.getCapacityBytes());
            assertTrue(grown.getNodeExpansionRequired(), "a mounted file system must grow on the node");
            node.nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setVolumePath(target.toString())
                    .setVolumeCapability(xfs)
                    .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(512 * MIB))
                    .build());
            NodeGetVolumeStatsResponse stats = node.nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                    .setVolumeId(id)
                    .setVolumePath(target.toString())
                    .build());
            VolumeUsage bytes = stats.getUsageList().stream()
                    .filter(u -> u.getUnit() == VolumeUsage.Unit.BYTES)
                    .findFirst()
                    .orElseThrow();
            assertTrue(bytes.getTotal() > 400 * MIB && bytes.getUsed() >= 8 * MIB, stats.toString());
            assertEquals(
                    512 * MIB,
                    controller
                            .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                    .setVolumeId(id)
                                    .build())
                            .getVolume()
                            .getCapacityBytes());

            node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setTargetPath(target.toString())
                    .build());
            node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setStagingTargetPath(staging.toString())
                    .build());
            staged = false;
            delete(id);
            assertEquals(
                    Status.Code.NOT_FOUND,
                    code(() -> controller.controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                            .setVolumeId(id)
                            .build())));
        } finally {
            if (staged) { // after a failure only
                quietly(() -> node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(id)
                        .setTargetPath(target.toString())
                        .build()));
                quietly(() -> node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(id)
                        .setStagingTargetPath(staging.toString())
                        .build()));
            }
            quietly(() -> controller.deleteVolume(
                    DeleteVolumeRequest.newBuilder().setVolumeId(id).build()));
        }
    }

    /** Cleanup after a failure: the test's own assertion error is the one to report. */
    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            System.err.println("cleanup: " + e);
        }
    }
}
