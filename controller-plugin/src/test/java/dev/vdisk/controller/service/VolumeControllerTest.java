package dev.vdisk.controller.service;

import static dev.vdisk.controller.service.ValueClassesTest.block;
import static dev.vdisk.controller.service.ValueClassesTest.mount;
import static dev.vdisk.controller.service.ValueClassesTest.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerModifyVolumeRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteVolumeRequest;
import csi.v1.GetCapacityRequest;
import csi.v1.GetCapacityResponse;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeContentSource;
import csi.v1.VolumeContentSource.VolumeSource;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentVolume;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The controller's RPC logic against in-memory agents. */
class VolumeControllerTest {
    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;

    private final Agents agents = Agents.of("n1", GIB, "n2", 2 * GIB);
    private final VolumeController c = new VolumeController(agents, CloneSplitHook.NOT_WIRED);

    private static CreateVolumeRequest.Builder create(String name, long required) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(mount("ext4", Mode.SINGLE_NODE_WRITER))
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(required));
    }

    @Test
    void createIsIdempotentByNameAndIncompatibleRepeatsAreAlreadyExists() {
        Volume v = c.createVolume(create("pvc-a", 10 * MIB + 1)
                        .putParameters("fsType", "ext4")
                        .build())
                .getVolume();
        assertEquals("pvc-a", v.getVolumeId());
        assertEquals(10 * MIB + 4096, v.getCapacityBytes());
        assertEquals(Map.of("fsType", "ext4"), v.getVolumeContextMap());
        assertEquals(
                v,
                c.createVolume(create("pvc-a", 10 * MIB + 1)
                                .putParameters("fsType", "ext4")
                                .build())
                        .getVolume());
        assertEquals(
                v,
                c.createVolume(create("pvc-a", 5 * MIB)
                                .putParameters("fsType", "ext4")
                                .build())
                        .getVolume(),
                "a bigger existing volume satisfies a smaller required_bytes");
        for (CreateVolumeRequest bad : List.of(
                create("pvc-a", 20 * MIB).putParameters("fsType", "ext4").build(),
                create("pvc-a", 10 * MIB).putParameters("fsType", "ext4").build().toBuilder()
                        .setCapacityRange(CapacityRange.newBuilder().setLimitBytes(10 * MIB))
                        .build(),
                create("pvc-a", MIB).build().toBuilder()
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(mount("xfs", Mode.SINGLE_NODE_WRITER))
                        .build())) {
            AgentException e = assertThrows(AgentException.class, () -> c.createVolume(bad));
            assertEquals(AgentReason.ALREADY_EXISTS, e.reason(), e.getMessage());
        }
        assertEquals(
                1,
                agents.byNode().values().stream().mapToInt(a -> a.creates.get()).sum());
    }

    /** A standalone pool may hold a volume under the ID its name had before issue 16 ({@code h_<sha>}). */
    @Test
    void aRetriedCreateFindsAVolumeUnderItsNamesOldId() {
        String oldId = VolumeIds.legacy("My Volume").orElseThrow();
        agents.byNode().get("n1").createVolume(oldId, 10 * MIB, Map.of(VolumeController.NAME, "My Volume"));
        Volume v = c.createVolume(create("My Volume", 10 * MIB).build()).getVolume();
        assertEquals(oldId, v.getVolumeId(), "the existing volume, not a second one under the new ID");
        assertEquals(
                1,
                agents.byNode().values().stream().mapToInt(a -> a.creates.get()).sum());
    }

    @Test
    void mountVolumesAreAtLeastTheSmallestTheirFileSystemCanBeMadeOnWithinTheLimit() {
        assertEquals(
                2 * MIB,
                c.createVolume(create("ext4", 4096).build()).getVolume().getCapacityBytes());
        assertEquals(
                300 * MIB,
                c.createVolume(create("xfs", 4096)
                                .clearVolumeCapabilities()
                                .addVolumeCapabilities(mount("xfs", Mode.SINGLE_NODE_WRITER))
                                .build())
                        .getVolume()
                        .getCapacityBytes());
        assertEquals(
                300 * MIB,
                c.createVolume(create("xfs-param", 4096)
                                .clearVolumeCapabilities()
                                .addVolumeCapabilities(mount("", Mode.SINGLE_NODE_WRITER))
                                .putParameters("fsType", "xfs")
                                .build())
                        .getVolume()
                        .getCapacityBytes(),
                "the StorageClass fsType counts when the capability names none");
        assertEquals(
                4096,
                c.createVolume(create("raw", 4096)
                                .clearVolumeCapabilities()
                                .addVolumeCapabilities(block(Mode.SINGLE_NODE_WRITER))
                                .build())
                        .getVolume()
                        .getCapacityBytes());
        CapacityOutOfRangeException e = assertThrows(
                CapacityOutOfRangeException.class,
                () -> c.createVolume(create("xfs-limited", 4096)
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(mount("xfs", Mode.SINGLE_NODE_WRITER))
                        .setCapacityRange(CapacityRange.newBuilder()
                                .setRequiredBytes(4096)
                                .setLimitBytes(100 * MIB))
                        .build()));
        assertTrue(
                e.getMessage()
                        .contains("xfs needs a volume of at least 314572800 bytes (300 MiB), above"
                                + " limit_bytes 104857600"),
                e.getMessage());
        IllegalArgumentException unsupported = assertThrows(
                IllegalArgumentException.class,
                () -> c.createVolume(create("btrfs", 4096)
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(mount("", Mode.SINGLE_NODE_WRITER))
                        .putParameters("fsType", "btrfs")
                        .build()));
        assertTrue(unsupported.getMessage().contains("fsType='btrfs' is not valid"), unsupported.getMessage());
    }

    @Test
    void invalidRequestsNameTheProblem() {
        record Case(CreateVolumeRequest req, String text) {}
        for (Case k : List.of(
                new Case(create("", MIB).build(), "name missing in request"),
                new Case(create("x", MIB).clearVolumeCapabilities().build(), "volume_capabilities missing in request"),
                new Case(
                        create("x", MIB)
                                .addVolumeCapabilities(block(Mode.MULTI_NODE_MULTI_WRITER))
                                .build(),
                        "MULTI_NODE_MULTI_WRITER"),
                new Case(create("x", MIB).putParameters("colour", "red").build(), "unknown parameter 'colour'"),
                new Case(create("x", MIB).putParameters("fsType", "xfs").build(), "contradicts"),
                new Case(create("x", MIB).putMutableParameters("maxIops", "-3").build(), "maxIops"),
                new Case(
                        create("x", MIB)
                                .setVolumeContentSource(
                                        VolumeContentSource.newBuilder().setVolume(VolumeSource.newBuilder()))
                                .build(),
                        "volume_content_source.volume.volume_id missing in request"),
                new Case(
                        create("x", MIB)
                                .setVolumeContentSource(VolumeContentSource.newBuilder())
                                .build(),
                        "names neither a snapshot nor a volume"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.createVolume(k.req()));
            assertTrue(e.getMessage().contains(k.text()), e.getMessage() + " should contain " + k.text());
        }
        assertTrue(agents.byNode().values().stream().allMatch(a -> a.volumes.isEmpty()));
    }

    @Test
    void topologyAndCapacityChooseTheNode() {
        CreateVolumeResponse r = c.createVolume(create("v1", 512 * MIB)
                .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                        .addRequisite(node("n1"))
                        .addRequisite(node("n2"))
                        .addPreferred(node("n2")))
                .build());
        assertEquals("n2", r.getVolume().getAccessibleTopology(0).getSegmentsOrThrow(TopologyPicker.KEY));
        // n1 has 1 GiB: a 768 MiB volume fits, a second one does not, so it falls back to n2 (1.5 GiB left)
        assertEquals(
                "n1",
                nodeOf(c.createVolume(create("v2", 768 * MIB)
                        .setAccessibilityRequirements(
                                TopologyRequirement.newBuilder().addPreferred(node("n1")))
                        .build())));
        assertEquals(
                "n2",
                nodeOf(c.createVolume(create("v3", 768 * MIB)
                        .setAccessibilityRequirements(
                                TopologyRequirement.newBuilder().addPreferred(node("n1")))
                        .build())));
        NoSuitableNodeException e = assertThrows(
                NoSuitableNodeException.class,
                () -> c.createVolume(create("v4", 768 * MIB)
                        .setAccessibilityRequirements(
                                TopologyRequirement.newBuilder().addRequisite(node("n1")))
                        .build()));
        assertTrue(e.getMessage().contains("left to provision"), e.getMessage());
        assertThrows(
                NoSuitableNodeException.class,
                () -> c.createVolume(create("v5", MIB)
                        .setAccessibilityRequirements(
                                TopologyRequirement.newBuilder().addRequisite(node("n7")))
                        .build()));
        assertThrows(
                CapacityOutOfRangeException.class,
                () -> c.createVolume(create("v6", 3 * GIB).build()),
                "larger than any pool");
        assertEquals(
                AgentReason.ALREADY_EXISTS,
                assertThrows(
                                AgentException.class,
                                () -> c.createVolume(create("v1", 512 * MIB)
                                        .setAccessibilityRequirements(
                                                TopologyRequirement.newBuilder().addRequisite(node("n1")))
                                        .build()))
                        .reason(),
                "exists on a node outside the requisite");
        // overprovisioning doubles n1's room
        assertEquals(
                "n1",
                nodeOf(c.createVolume(create("v7", 768 * MIB)
                        .putParameters("overprovisionRatio", "2")
                        .setAccessibilityRequirements(
                                TopologyRequirement.newBuilder().addRequisite(node("n1")))
                        .build())));
    }

    @Test
    void getCapacityPerNodeShrinksAsVolumesAreCreated() {
        GetCapacityRequest n1 = GetCapacityRequest.newBuilder()
                .setAccessibleTopology(node("n1"))
                .build();
        assertEquals(GIB, c.getCapacity(n1).getAvailableCapacity());
        assertEquals(GIB, c.getCapacity(n1).getMaximumVolumeSize().getValue());
        assertEquals(4096, c.getCapacity(n1).getMinimumVolumeSize().getValue());
        c.createVolume(create("v", 256 * MIB)
                .setAccessibilityRequirements(TopologyRequirement.newBuilder().addRequisite(node("n1")))
                .build());
        assertEquals(768 * MIB, c.getCapacity(n1).getAvailableCapacity());
        GetCapacityResponse doubled = c.getCapacity(
                n1.toBuilder().putParameters("overprovisionRatio", "2").build());
        assertEquals(GIB, doubled.getAvailableCapacity(), "provisionable 1.75 GiB, but the pool writes 1 GiB at most");
        assertEquals(2 * GIB - 256 * MIB, doubled.getMaximumVolumeSize().getValue(), "overprovisioning still places");
        assertEquals(
                768 * MIB + 2 * GIB,
                c.getCapacity(GetCapacityRequest.getDefaultInstance()).getAvailableCapacity());
        assertEquals(
                0,
                c.getCapacity(GetCapacityRequest.newBuilder()
                                .setAccessibleTopology(node("nx"))
                                .build())
                        .getAvailableCapacity(),
                "unknown node");
        assertEquals(
                0,
                c.getCapacity(n1.toBuilder()
                                .addVolumeCapabilities(block(Mode.MULTI_NODE_READER_ONLY))
                                .build())
                        .getAvailableCapacity(),
                "no storage provides that capability");
        assertThrows(
                IllegalArgumentException.class,
                () -> c.getCapacity(n1.toBuilder().putParameters("bogus", "1").build()));
    }

    @Test
    void getCapacityCountsACapabilityWithoutAccessModeAsAnyMode() {
        // external-provisioners before v5 ask with access mode UNKNOWN; 0 there made every CSIStorageCapacity 0
        GetCapacityRequest n1 = GetCapacityRequest.newBuilder()
                .setAccessibleTopology(node("n1"))
                .build();
        VolumeCapability mount = VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
                .build();
        assertEquals(
                GIB,
                c.getCapacity(n1.toBuilder().addVolumeCapabilities(mount).build())
                        .getAvailableCapacity());
        assertEquals(
                GIB,
                c.getCapacity(n1.toBuilder()
                                .addVolumeCapabilities(mount.toBuilder()
                                        .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                                                .setMode(Mode.UNKNOWN)))
                                .build())
                        .getAvailableCapacity());
        assertEquals(
                GIB,
                c.getCapacity(n1.toBuilder()
                                .addVolumeCapabilities(block(Mode.UNKNOWN))
                                .build())
                        .getMaximumVolumeSize()
                        .getValue());
        assertEquals(
                0,
                c.getCapacity(n1.toBuilder()
                                .addVolumeCapabilities(mount.toBuilder()
                                        .setMount(VolumeCapability.MountVolume.newBuilder()
                                                .setFsType("btrfs")))
                                .build())
                        .getAvailableCapacity(),
                "a file system no node can make still has no capacity");
    }

    @Test
    void getCapacityReportsWhatAFilledThinPoolCanStillWriteNotWhatItCouldProvision() {
        GetCapacityRequest n1 = GetCapacityRequest.newBuilder()
                .setAccessibleTopology(node("n1"))
                .putParameters("overprovisionRatio", "2")
                .build();
        c.createVolume(create("v", 384 * MIB)
                .setAccessibilityRequirements(TopologyRequirement.newBuilder().addRequisite(node("n1")))
                .build());
        agents.byNode().get("n1").writableBytes = 64 * 1024; // the volume's writes filled the pool
        GetCapacityResponse full = c.getCapacity(n1);
        assertEquals(64 * 1024, full.getAvailableCapacity(), "not the 1.625 GiB left to provision");
        assertEquals(2 * GIB - 384 * MIB, full.getMaximumVolumeSize().getValue());
        assertEquals(
                64 * 1024 + 2 * GIB,
                c.getCapacity(GetCapacityRequest.getDefaultInstance()).getAvailableCapacity());
    }

    @Test
    void listVolumesPagesMissNothingAcrossCreatesAndDeletes() {
        for (int i = 0; i < 10; i++) {
            c.createVolume(create("v" + i, MIB).build());
        }
        Set<String> seen = new HashSet<>();
        List<String> order = new ArrayList<>();
        ListVolumesResponse page =
                c.listVolumes(ListVolumesRequest.newBuilder().setMaxEntries(3).build());
        int round = 0;
        while (true) {
            page.getEntriesList().forEach(e -> {
                assertTrue(
                        seen.add(e.getVolume().getVolumeId()),
                        "duplicate " + e.getVolume().getVolumeId());
                order.add(e.getVolume().getVolumeId());
                assertFalse(e.getStatus().getVolumeCondition().getAbnormal());
            });
            if (page.getNextToken().isEmpty()) {
                break;
            }
            if (round++ == 0) {
                c.deleteVolume(
                        DeleteVolumeRequest.newBuilder().setVolumeId("v1").build()); // already listed
                c.deleteVolume(
                        DeleteVolumeRequest.newBuilder().setVolumeId("v5").build()); // not yet listed
                c.createVolume(create("v55", MIB).build()); // sorts after the token
            }
            page = c.listVolumes(ListVolumesRequest.newBuilder()
                    .setMaxEntries(3)
                    .setStartingToken(page.getNextToken())
                    .build());
        }
        assertEquals(List.of("v0", "v1", "v2", "v3", "v4", "v55", "v6", "v7", "v8", "v9"), order);
        assertThrows(
                InvalidPageTokenException.class,
                () -> c.listVolumes(ListVolumesRequest.newBuilder()
                        .setStartingToken("garbage")
                        .build()));
        assertThrows(
                IllegalArgumentException.class,
                () -> c.listVolumes(
                        ListVolumesRequest.newBuilder().setMaxEntries(-1).build()));
    }

    @Test
    void expandAndModify() {
        c.createVolume(create("v", 64 * MIB).build());
        var grown = c.controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                .setVolumeId("v")
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(100 * MIB))
                .build());
        assertEquals(100 * MIB, grown.getCapacityBytes());
        assertTrue(grown.getNodeExpansionRequired());
        var again = c.controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                .setVolumeId("v")
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(80 * MIB))
                .setVolumeCapability(block(Mode.SINGLE_NODE_WRITER))
                .build());
        assertEquals(100 * MIB, again.getCapacityBytes(), "never shrinks");
        assertFalse(again.getNodeExpansionRequired(), "block: nothing to grow on the node");
        assertThrows(
                CapacityOutOfRangeException.class,
                () -> c.controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                        .setVolumeId("v")
                        .setCapacityRange(CapacityRange.newBuilder()
                                .setRequiredBytes(200 * MIB)
                                .setLimitBytes(150 * MIB))
                        .build()));
        assertEquals(
                AgentReason.NOT_FOUND,
                assertThrows(
                                AgentException.class,
                                () -> c.controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                                        .setVolumeId("nope")
                                        .setCapacityRange(
                                                CapacityRange.newBuilder().setRequiredBytes(MIB))
                                        .build()))
                        .reason());

        c.controllerModifyVolume(ControllerModifyVolumeRequest.newBuilder()
                .setVolumeId("v")
                .putMutableParameters("maxIops", "300")
                .build());
        c.controllerModifyVolume(ControllerModifyVolumeRequest.newBuilder()
                .setVolumeId("v")
                .putMutableParameters("splitOnClone", "share")
                .build());
        assertEquals(
                "300", agents.find("v").orElseThrow().volume().attributes().get("maxIops"), "absent keys unchanged");
        assertEquals(
                "share", agents.find("v").orElseThrow().volume().attributes().get("splitOnClone"));
        assertThrows(
                IllegalArgumentException.class,
                () -> c.controllerModifyVolume(ControllerModifyVolumeRequest.newBuilder()
                        .setVolumeId("v")
                        .putMutableParameters("fsType", "xfs")
                        .build()));
        assertThrows(
                IllegalArgumentException.class,
                () -> c.controllerModifyVolume(ControllerModifyVolumeRequest.newBuilder()
                        .setVolumeId("v")
                        .build()));
    }

    @Test
    void concurrentDuplicateCreatesMakeOneVolume() throws Exception {
        ControllerService service = new ControllerService(agents, Duration.ofSeconds(30));
        var results = new ConcurrentLinkedQueue<Object>();
        CountDownLatch start = new CountDownLatch(1);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 32; i++) {
                pool.submit(() -> {
                    start.await();
                    service.createVolume(create("pvc-same", 8 * MIB).build(), new StreamObserver<>() {
                        public void onNext(CreateVolumeResponse r) {
                            results.add(r.getVolume());
                        }

                        public void onError(Throwable t) {
                            results.add(t);
                        }

                        public void onCompleted() {}
                    });
                    return null;
                });
            }
            start.countDown();
        }
        assertEquals(32, results.size());
        assertEquals(1, Set.copyOf(results).size(), "every call got the same volume: " + Set.copyOf(results));
        assertEquals(
                1,
                agents.byNode().values().stream().mapToInt(a -> a.creates.get()).sum());
    }

    /** 12 creates of different names race for a 1 GiB node with room for 5 of them: exactly 5 get a volume. */
    @Test
    void concurrentCreatesOfDifferentNamesNeverOvercommitANode() throws Exception {
        Agents one = Agents.of("n1", GIB);
        one.byNode().get("n1").createMillis = 30; // every capacity check would pass before the first create ends
        ControllerService service = new ControllerService(one, Duration.ofSeconds(30));
        var created = new ConcurrentLinkedQueue<Volume>();
        var refused = new ConcurrentLinkedQueue<RuntimeException>();
        CountDownLatch start = new CountDownLatch(1);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 12; i++) {
                String name = "pvc-race-" + i;
                pool.submit(() -> {
                    start.await();
                    try {
                        service.createVolume(create(name, 200 * MIB).build(), new StreamObserver<>() {
                            public void onNext(CreateVolumeResponse r) {
                                created.add(r.getVolume());
                            }

                            public void onError(Throwable t) {}

                            public void onCompleted() {}
                        });
                    } catch (RuntimeException e) {
                        refused.add(e);
                    }
                    return null;
                });
            }
            start.countDown();
        }
        assertEquals(5, created.size(), "5 x 200 MiB fit in 1 GiB, 6 do not: " + created.size() + " created");
        assertEquals(7, refused.size());
        refused.forEach(e -> assertTrue(e instanceof NoSuitableNodeException, e.toString()));
        assertEquals(
                1000 * MIB,
                one.byNode().get("n1").volumes.values().stream()
                        .mapToLong(AgentVolume::sizeBytes)
                        .sum());
    }

    @Test
    void aLockHeldTooLongIsOperationPending() throws Exception {
        OperationLocks locks = new OperationLocks(Duration.ofMillis(50));
        try (var held = locks.lock("v")) {
            var t = Executors.newVirtualThreadPerTaskExecutor().submit(() -> locks.lock("v"));
            var e = assertThrows(ExecutionException.class, t::get);
            assertTrue(e.getCause() instanceof OperationPendingException, e.toString());
            try (var other = locks.lock("w")) {
                assertEquals(2, locks.size(), "other volumes are not blocked");
            }
        }
        assertEquals(0, locks.size(), "entries are dropped when unused");
    }

    private static String nodeOf(CreateVolumeResponse r) {
        return r.getVolume().getAccessibleTopology(0).getSegmentsOrThrow(TopologyPicker.KEY);
    }
}
