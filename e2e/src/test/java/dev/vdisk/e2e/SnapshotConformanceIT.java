package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.BlockMetadata;
import csi.v1.BlockMetadataType;
import csi.v1.CapacityRange;
import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeGroupSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeGroupSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.GetMetadataAllocatedRequest;
import csi.v1.GetMetadataDeltaRequest;
import csi.v1.GetMetadataDeltaResponse;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetSnapshotRequest;
import csi.v1.GetVolumeGroupSnapshotRequest;
import csi.v1.GroupControllerGetCapabilitiesRequest;
import csi.v1.GroupControllerGrpc;
import csi.v1.GroupControllerServiceCapability;
import csi.v1.IdentityGrpc;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListSnapshotsResponse;
import csi.v1.NodeGrpc;
import csi.v1.PluginCapability;
import csi.v1.Snapshot;
import csi.v1.SnapshotMetadataGrpc;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeContentSource;
import csi.v1.VolumeGroupSnapshot;
import dev.vdisk.node.testing.Privileged;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots, clones and the SnapshotMetadata service of {@code bin/vdisk-csi standalone} over the real socket,
 * checked against the bytes: volumes are staged and published as block devices, written, snapshotted, cloned, and
 * the clones read back; the delta stream applied to the base's bytes must give the target's. Every test deletes what
 * it created.
 */
@ExtendWith(Privileged.class)
class SnapshotConformanceIT {
    private static final long MIB = 1 << 20;
    private static final String NODE = "e2e-node";
    private static final String KEY = "topology.vdisk.csi.dev/node";
    private static final VolumeCapability BLOCK = VolumeCapability.newBuilder()
            .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
            .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER))
            .build();

    @TempDir
    static Path dir;

    private static StandaloneFixture standalone;
    private static ControllerGrpc.ControllerBlockingStub controller;
    private static NodeGrpc.NodeBlockingStub node;
    private static SnapshotMetadataGrpc.SnapshotMetadataBlockingStub metadata;

    @BeforeAll
    static void start() throws Exception {
        standalone = StandaloneFixture.start(dir, "1G");
        controller = standalone.controller;
        node = standalone.node;
        metadata = SnapshotMetadataGrpc.newBlockingStub(standalone.channel);
    }

    @AfterAll
    static void stop() throws Exception {
        StandaloneFixture.stop(standalone, dir);
    }

    // ---------------------------------------------------------------- helpers

    private static Volume volume(String name, long size) {
        return controller
                .createVolume(CreateVolumeRequest.newBuilder()
                        .setName(name)
                        .addVolumeCapabilities(BLOCK)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(size))
                        .build())
                .getVolume();
    }

    private static CreateVolumeRequest.Builder cloneOf(String name, VolumeContentSource source) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(BLOCK)
                .setVolumeContentSource(source);
    }

    private static VolumeContentSource fromSnapshot(String id) {
        return VolumeContentSource.newBuilder()
                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(id))
                .build();
    }

    private static VolumeContentSource fromVolume(String id) {
        return VolumeContentSource.newBuilder()
                .setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId(id))
                .build();
    }

    private static Snapshot snapshot(String name, String source) {
        return controller
                .createSnapshot(CreateSnapshotRequest.newBuilder()
                        .setName(name)
                        .setSourceVolumeId(source)
                        .build())
                .getSnapshot();
    }

    private static void deleteSnapshot(String id) {
        controller.deleteSnapshot(
                DeleteSnapshotRequest.newBuilder().setSnapshotId(id).build());
    }

    private static void deleteVolume(String id) {
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    private static Status.Code code(Supplier<?> call) {
        return assertThrows(StatusRuntimeException.class, call::get).getStatus().getCode();
    }

    /** Stages and publishes the volume as a block device; returns the device node at the target. */
    private static Path attach(String id) throws IOException {
        return standalone.attach(id, BLOCK);
    }

    private static void detach(String id) {
        standalone.detach(id);
    }

    private static void write(Path device, long offset, byte[] data) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(device.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(data);
            raf.getFD().sync();
        }
    }

    /** The whole volume's bytes, read through a freshly attached device. */
    private static byte[] contents(String id, int size) throws IOException {
        Path device = attach(id);
        try (RandomAccessFile raf = new RandomAccessFile(device.toFile(), "r")) {
            byte[] b = new byte[size];
            raf.readFully(b);
            return b;
        } finally {
            detach(id);
        }
    }

    private static byte[] random(int seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static List<BlockMetadata> delta(String base, String target, int maxResults, long capacity) {
        List<BlockMetadata> out = new ArrayList<>();
        Iterator<GetMetadataDeltaResponse> it = metadata.getMetadataDelta(GetMetadataDeltaRequest.newBuilder()
                .setBaseSnapshotId(base)
                .setTargetSnapshotId(target)
                .setMaxResults(maxResults)
                .build());
        it.forEachRemaining(r -> {
            assertEquals(BlockMetadataType.VARIABLE_LENGTH, r.getBlockMetadataType());
            assertEquals(capacity, r.getVolumeCapacityBytes(), "in every response");
            assertTrue(maxResults == 0 || r.getBlockMetadataCount() <= maxResults, r.toString());
            out.addAll(r.getBlockMetadataList());
        });
        return out;
    }

    private static List<BlockMetadata> allocated(String snap, long from) {
        List<BlockMetadata> out = new ArrayList<>();
        metadata.getMetadataAllocated(GetMetadataAllocatedRequest.newBuilder()
                        .setSnapshotId(snap)
                        .setStartingOffset(from)
                        .build())
                .forEachRemaining(r -> out.addAll(r.getBlockMetadataList()));
        return out;
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            System.err.println("cleanup: " + e);
        }
    }

    // ---------------------------------------------------------------- tests

    @Test
    void advertisesSnapshotsClonesAndMetadata() {
        List<Type> caps = controller
                .controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList()
                .stream()
                .map(c -> c.getRpc().getType())
                .toList();
        assertTrue(
                caps.containsAll(List.of(
                        Type.CREATE_DELETE_SNAPSHOT, Type.LIST_SNAPSHOTS, Type.GET_SNAPSHOT, Type.CLONE_VOLUME)),
                caps.toString());
        List<PluginCapability> plugin = IdentityGrpc.newBlockingStub(standalone.channel)
                .getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList();
        assertTrue(
                plugin.stream()
                        .anyMatch(c ->
                                c.getService().getType() == PluginCapability.Service.Type.SNAPSHOT_METADATA_SERVICE),
                plugin.toString());
        assertTrue(
                plugin.stream()
                        .anyMatch(c ->
                                c.getService().getType() == PluginCapability.Service.Type.GROUP_CONTROLLER_SERVICE),
                plugin.toString());
        assertEquals(
                List.of(GroupControllerServiceCapability.RPC.Type.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT),
                GroupControllerGrpc.newBlockingStub(standalone.channel)
                        .groupControllerGetCapabilities(GroupControllerGetCapabilitiesRequest.getDefaultInstance())
                        .getCapabilitiesList()
                        .stream()
                        .map(c -> c.getRpc().getType())
                        .toList());
    }

    @Test
    void groupSnapshotsTakeOneNodesVolumesTogether() throws Exception {
        var groups = GroupControllerGrpc.newBlockingStub(standalone.channel);
        volume("pvc-g1", 4 * MIB);
        volume("pvc-g2", 4 * MIB);
        try {
            Path d1 = attach("pvc-g1");
            Path d2 = attach("pvc-g2");
            write(d1, 0, random(11, 4096));
            write(d2, 0, random(12, 4096));
            CreateVolumeGroupSnapshotRequest req = CreateVolumeGroupSnapshotRequest.newBuilder()
                    .setName("group-1")
                    .addSourceVolumeIds("pvc-g1")
                    .addSourceVolumeIds("pvc-g2")
                    .build();
            VolumeGroupSnapshot g = groups.createVolumeGroupSnapshot(req).getGroupSnapshot();
            write(d1, 0, random(13, 4096)); // after the group: not in it
            detach("pvc-g1");
            detach("pvc-g2");
            assertEquals("group-1", g.getGroupSnapshotId());
            assertTrue(g.getReadyToUse());
            assertEquals(
                    List.of("pvc-g1", "pvc-g2"),
                    g.getSnapshotsList().stream()
                            .map(Snapshot::getSourceVolumeId)
                            .toList());
            assertTrue(g.getSnapshotsList().stream()
                    .allMatch(s -> s.getGroupSnapshotId().equals("group-1")));
            assertEquals(g, groups.createVolumeGroupSnapshot(req).getGroupSnapshot(), "idempotent by name");
            assertEquals(
                    Status.Code.ALREADY_EXISTS,
                    code(() -> groups.createVolumeGroupSnapshot(req.toBuilder()
                            .clearSourceVolumeIds()
                            .addSourceVolumeIds("pvc-g1")
                            .build())));
            assertEquals(
                    Status.Code.NOT_FOUND,
                    code(() -> groups.createVolumeGroupSnapshot(req.toBuilder()
                            .setName("group-2")
                            .addSourceVolumeIds("pvc-nope")
                            .build())));
            assertEquals(
                    Status.Code.INVALID_ARGUMENT,
                    code(() -> groups.createVolumeGroupSnapshot(
                            req.toBuilder().clearSourceVolumeIds().build())));
            List<String> ids =
                    g.getSnapshotsList().stream().map(Snapshot::getSnapshotId).toList();
            assertEquals(
                    g,
                    groups.getVolumeGroupSnapshot(GetVolumeGroupSnapshotRequest.newBuilder()
                                    .setGroupSnapshotId("group-1")
                                    .addAllSnapshotIds(ids)
                                    .build())
                            .getGroupSnapshot());
            assertEquals(
                    Status.Code.INVALID_ARGUMENT,
                    code(() -> groups.getVolumeGroupSnapshot(GetVolumeGroupSnapshotRequest.newBuilder()
                            .setGroupSnapshotId("group-1")
                            .addSnapshotIds("x")
                            .build())));

            // a member reads what its volume held at the group's instant
            controller.createVolume(
                    cloneOf("pvc-g1-clone", fromSnapshot(ids.getFirst())).build());
            assertArrayEquals(random(11, 4096), Arrays.copyOf(contents("pvc-g1-clone", (int) (4 * MIB)), 4096));

            groups.deleteVolumeGroupSnapshot(DeleteVolumeGroupSnapshotRequest.newBuilder()
                    .setGroupSnapshotId("group-1")
                    .addAllSnapshotIds(ids)
                    .build());
            groups.deleteVolumeGroupSnapshot(DeleteVolumeGroupSnapshotRequest.newBuilder()
                    .setGroupSnapshotId("group-1")
                    .build());
            assertEquals(
                    Status.Code.NOT_FOUND,
                    code(() -> groups.getVolumeGroupSnapshot(GetVolumeGroupSnapshotRequest.newBuilder()
                            .setGroupSnapshotId("group-1")
                            .build())));
            assertArrayEquals(
                    random(11, 4096),
                    Arrays.copyOf(contents("pvc-g1-clone", (int) (4 * MIB)), 4096),
                    "the clone outlives the group");
        } finally {
            quietly(() -> groups.deleteVolumeGroupSnapshot(DeleteVolumeGroupSnapshotRequest.newBuilder()
                    .setGroupSnapshotId("group-1")
                    .build()));
            for (String v : List.of("pvc-g1", "pvc-g2", "pvc-g1-clone")) {
                quietly(() -> detach(v));
                quietly(() -> deleteVolume(v));
            }
        }
    }

    @Test
    void snapshotsAreIdempotentFilteredPagedAndTyped() throws Exception {
        volume("pvc-s1", 8 * MIB);
        volume("pvc-s2", 8 * MIB);
        List<String> snaps = List.of("snapshot-a", "snapshot-b", "snapshot-c", "snapshot-d");
        try {
            Snapshot a = snapshot("snapshot-a", "pvc-s1");
            assertEquals("snapshot-a", a.getSnapshotId());
            assertEquals("pvc-s1", a.getSourceVolumeId());
            assertEquals(8 * MIB, a.getSizeBytes());
            assertTrue(a.getReadyToUse(), "spec: ready_to_use once it can be a content source");
            assertTrue(a.getCreationTime().getSeconds() > 1_700_000_000L, a.toString());
            assertEquals(a, snapshot("snapshot-a", "pvc-s1"), "same name and source: the same snapshot");
            assertEquals(Status.Code.ALREADY_EXISTS, code(() -> snapshot("snapshot-a", "pvc-s2")));
            assertEquals(Status.Code.NOT_FOUND, code(() -> snapshot("snapshot-x", "pvc-nope")));
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> snapshot("", "pvc-s1")));
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> snapshot("snapshot-x", "")));
            // concurrent duplicates (a CO's retries racing): one snapshot, every caller gets it
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Snapshot>> racing = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    racing.add(pool.submit(() -> snapshot("snapshot-b", "pvc-s2")));
                }
                Snapshot first = racing.getFirst().get();
                for (var f : racing) {
                    assertEquals(first, f.get());
                }
            }
            snapshot("snapshot-c", "pvc-s1");
            snapshot("snapshot-d", "pvc-s2");

            List<String> seen = new ArrayList<>();
            String token = "";
            do {
                ListSnapshotsResponse page = controller.listSnapshots(ListSnapshotsRequest.newBuilder()
                        .setMaxEntries(3)
                        .setStartingToken(token)
                        .build());
                assertTrue(page.getEntriesCount() <= 3);
                page.getEntriesList().forEach(e -> seen.add(e.getSnapshot().getSnapshotId()));
                token = page.getNextToken();
            } while (!token.isEmpty());
            assertEquals(snaps, seen);
            assertEquals(
                    List.of("snapshot-b", "snapshot-d"),
                    controller
                            .listSnapshots(ListSnapshotsRequest.newBuilder()
                                    .setSourceVolumeId("pvc-s2")
                                    .build())
                            .getEntriesList()
                            .stream()
                            .map(e -> e.getSnapshot().getSnapshotId())
                            .toList());
            assertEquals(
                    List.of(a),
                    controller
                            .listSnapshots(ListSnapshotsRequest.newBuilder()
                                    .setSnapshotId("snapshot-a")
                                    .build())
                            .getEntriesList()
                            .stream()
                            .map(e -> e.getSnapshot())
                            .toList());
            assertEquals(
                    0,
                    controller
                            .listSnapshots(ListSnapshotsRequest.newBuilder()
                                    .setSnapshotId("nope")
                                    .build())
                            .getEntriesCount(),
                    "spec: no match is an empty list, not an error");
            assertEquals(
                    Status.Code.ABORTED,
                    code(() -> controller.listSnapshots(ListSnapshotsRequest.newBuilder()
                            .setStartingToken("not-ours")
                            .build())));
            assertEquals(
                    Status.Code.INVALID_ARGUMENT,
                    code(() -> controller.listSnapshots(
                            ListSnapshotsRequest.newBuilder().setMaxEntries(-1).build())));
            assertEquals(
                    a,
                    controller
                            .getSnapshot(GetSnapshotRequest.newBuilder()
                                    .setSnapshotId("snapshot-a")
                                    .build())
                            .getSnapshot());
            assertEquals(
                    Status.Code.NOT_FOUND,
                    code(() -> controller.getSnapshot(GetSnapshotRequest.newBuilder()
                            .setSnapshotId("nope")
                            .build())));

            assertEquals(
                    Status.Code.INVALID_ARGUMENT,
                    code(() -> delta("snapshot-a", "snapshot-b", 0, 8 * MIB)),
                    "snapshots of different volumes");

            // the source goes; its snapshots stay and still name it
            deleteVolume("pvc-s1");
            assertEquals(
                    "pvc-s1",
                    controller
                            .getSnapshot(GetSnapshotRequest.newBuilder()
                                    .setSnapshotId("snapshot-c")
                                    .build())
                            .getSnapshot()
                            .getSourceVolumeId());
            deleteSnapshot("snapshot-a");
            deleteSnapshot("snapshot-a");
            assertEquals(
                    Status.Code.NOT_FOUND,
                    code(() -> controller.getSnapshot(GetSnapshotRequest.newBuilder()
                            .setSnapshotId("snapshot-a")
                            .build())));
            assertEquals(
                    Status.Code.INVALID_ARGUMENT,
                    code(() -> controller.deleteSnapshot(
                            DeleteSnapshotRequest.newBuilder().build())));
        } finally {
            snaps.forEach(s -> quietly(() -> deleteSnapshot(s)));
            quietly(() -> deleteVolume("pvc-s1"));
            quietly(() -> deleteVolume("pvc-s2"));
        }
    }

    @Test
    void clonesReadTheirSourceAndTheDeltaRebuildsTheTarget() throws Exception {
        int size = (int) (32 * MIB);
        List<String> volumes = List.of("pvc-src", "pvc-from-base", "pvc-from-target", "pvc-from-volume");
        List<String> snaps = List.of("snap-base", "snap-target");
        try {
            volume("pvc-src", size);
            Path dev = attach("pvc-src");
            write(dev, 1 * MIB, random(1, (int) (3 * MIB)));
            write(dev, 10 * MIB + 4096, random(2, 8192));
            Snapshot base = snapshot("snap-base", "pvc-src");
            write(dev, 2 * MIB, random(3, (int) MIB)); // overwrite inside the base's data
            write(dev, 20 * MIB, random(4, (int) (2 * MIB))); // new data
            KernelView.run("blkdiscard", "-o", Long.toString(3 * MIB), "-l", Long.toString(MIB), dev.toString());
            snapshot("snap-target", "pvc-src");
            detach("pvc-src");

            // clones: of each snapshot, and of the volume (through an internal snapshot nobody lists)
            Volume fromBase = controller
                    .createVolume(
                            cloneOf("pvc-from-base", fromSnapshot("snap-base")).build())
                    .getVolume();
            assertEquals(size, fromBase.getCapacityBytes());
            assertEquals(fromSnapshot("snap-base"), fromBase.getContentSource());
            assertEquals(
                    fromBase,
                    controller
                            .createVolume(cloneOf("pvc-from-base", fromSnapshot("snap-base"))
                                    .build())
                            .getVolume(),
                    "idempotent");
            assertEquals(
                    Status.Code.ALREADY_EXISTS,
                    code(() -> controller.createVolume(cloneOf("pvc-from-base", fromSnapshot("snap-target"))
                            .build())),
                    "same name, other source");
            controller.createVolume(
                    cloneOf("pvc-from-target", fromSnapshot("snap-target")).build());
            Volume fromVolume = controller
                    .createVolume(cloneOf("pvc-from-volume", fromVolume("pvc-src"))
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(2L * size))
                            .build())
                    .getVolume();
            assertEquals(2L * size, fromVolume.getCapacityBytes(), "a clone may be larger than its source");
            assertEquals(
                    fromVolume("pvc-src"),
                    controller
                            .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                    .setVolumeId("pvc-from-volume")
                                    .build())
                            .getVolume()
                            .getContentSource());
            assertEquals(
                    List.of("snap-base", "snap-target"),
                    controller.listSnapshots(ListSnapshotsRequest.getDefaultInstance()).getEntriesList().stream()
                            .map(e -> e.getSnapshot().getSnapshotId())
                            .toList());

            byte[] source = contents("pvc-src", size);
            byte[] baseBytes = contents("pvc-from-base", size);
            byte[] targetBytes = contents("pvc-from-target", size);
            assertArrayEquals(source, targetBytes, "nothing written after the target snapshot");
            assertArrayEquals(source, Arrays.copyOf(contents("pvc-from-volume", 2 * size), size));
            assertArrayEquals(random(2, 8192), Arrays.copyOfRange(baseBytes, (int) (10 * MIB + 4096), (int)
                    (10 * MIB + 4096 + 8192)));
            assertFalse(Arrays.equals(baseBytes, targetBytes));
            assertArrayEquals(
                    new byte[(int) MIB],
                    Arrays.copyOfRange(targetBytes, (int) (3 * MIB), (int) (4 * MIB)),
                    "discarded before the target: zeros there, data in the base (a deallocated extent)");

            // allocated: every non-zero byte of the base lies in an allocated extent
            List<BlockMetadata> alloc = allocated("snap-base", 0);
            byte[] masked = baseBytes.clone();
            for (BlockMetadata m : alloc) {
                Arrays.fill(masked, (int) m.getByteOffset(), (int) (m.getByteOffset() + m.getSizeBytes()), (byte) 0);
            }
            assertArrayEquals(new byte[size], masked, "data outside the allocated extents " + alloc);
            assertTrue(alloc.stream().allMatch(m -> m.getByteOffset() >= 0 && m.getSizeBytes() > 0));
            assertTrue(allocated("snap-base", 11 * MIB).isEmpty(), "nothing allocated past 11 MiB in the base");

            // delta: applying the changed blocks (read from the target) to the base's bytes gives the target's
            List<BlockMetadata> changes = delta("snap-base", "snap-target", 1, size);
            assertTrue(changes.size() >= 2, changes.toString());
            byte[] rebuilt = baseBytes.clone();
            long previousEnd = -1;
            for (BlockMetadata m : changes) {
                assertTrue(m.getByteOffset() > previousEnd, "ascending, not overlapping, coalesced: " + changes);
                previousEnd = m.getByteOffset() + m.getSizeBytes();
                System.arraycopy(
                        targetBytes, (int) m.getByteOffset(), rebuilt, (int) m.getByteOffset(), (int) m.getSizeBytes());
            }
            assertArrayEquals(targetBytes, rebuilt, "base + delta = target; delta " + changes);
            assertTrue(
                    changes.stream()
                            .anyMatch(m ->
                                    m.getByteOffset() <= 3 * MIB && m.getByteOffset() + m.getSizeBytes() >= 4 * MIB),
                    "the deallocated MiB is a changed block");
            assertEquals(changes, delta("snap-base", "snap-target", 0, size), "batching does not change the tuples");
            assertTrue(
                    changes.stream().noneMatch(m -> m.getByteOffset() + m.getSizeBytes() <= MIB),
                    "the first MiB never changed: " + changes);

            // every documented error of the metadata streams
            assertEquals(Status.Code.NOT_FOUND, code(() -> delta("snap-base", "nope", 0, size)));
            assertEquals(Status.Code.NOT_FOUND, code(() -> allocated("nope", 0)));
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> delta("", "snap-target", 0, size)));
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> allocated("", 0)));
            assertEquals(
                    Status.Code.INVALID_ARGUMENT,
                    code(() -> delta("snap-target", "snap-base", 0, size)),
                    "the target must be younger");
            assertEquals(Status.Code.OUT_OF_RANGE, code(() -> allocated("snap-base", size)));
            assertEquals(
                    Status.Code.OUT_OF_RANGE, code(() -> metadata.getMetadataDelta(GetMetadataDeltaRequest.newBuilder()
                                    .setBaseSnapshotId("snap-base")
                                    .setTargetSnapshotId("snap-target")
                                    .setStartingOffset(size)
                                    .build())
                            .hasNext()));
            List<BlockMetadata> tail = new ArrayList<>();
            metadata.getMetadataDelta(GetMetadataDeltaRequest.newBuilder()
                            .setBaseSnapshotId("snap-base")
                            .setTargetSnapshotId("snap-target")
                            .setStartingOffset(20 * MIB)
                            .build())
                    .forEachRemaining(r -> tail.addAll(r.getBlockMetadataList()));
            assertTrue(
                    !tail.isEmpty() && tail.stream().allMatch(m -> m.getByteOffset() >= 20 * MIB),
                    "resumed at starting_offset: " + tail);
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> allocated("snap-base", -1)));

            // clone errors: unknown source, too small, a node the requisite topologies exclude
            assertEquals(
                    Status.Code.NOT_FOUND,
                    code(() -> controller.createVolume(
                            cloneOf("pvc-x", fromSnapshot("nope")).build())));
            assertEquals(
                    Status.Code.NOT_FOUND,
                    code(() -> controller.createVolume(
                            cloneOf("pvc-x", fromVolume("nope")).build())));
            assertEquals(
                    Status.Code.OUT_OF_RANGE,
                    code(() -> controller.createVolume(cloneOf("pvc-x", fromSnapshot("snap-base"))
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(MIB))
                            .build())));
            assertEquals(
                    Status.Code.RESOURCE_EXHAUSTED,
                    code(() -> controller.createVolume(cloneOf("pvc-x", fromSnapshot("snap-base"))
                            .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                                    .addRequisite(Topology.newBuilder().putSegments(KEY, "other-node")))
                            .build())));

            // the snapshot a clone reads through can be deleted; the clone reads the same
            deleteSnapshot("snap-base");
            assertEquals(
                    Status.Code.NOT_FOUND,
                    code(() -> controller.getSnapshot(GetSnapshotRequest.newBuilder()
                            .setSnapshotId("snap-base")
                            .build())));
            assertArrayEquals(baseBytes, contents("pvc-from-base", size), "the hidden snapshot still backs it");
            // the source can be deleted with snapshots and clones alive
            deleteVolume("pvc-src");
            assertArrayEquals(targetBytes, contents("pvc-from-target", size));
            assertArrayEquals(source, Arrays.copyOf(contents("pvc-from-volume", 2 * size), size));
        } finally {
            snaps.forEach(s -> quietly(() -> deleteSnapshot(s)));
            volumes.forEach(v -> quietly(() -> detach(v)));
            volumes.forEach(v -> quietly(() -> deleteVolume(v)));
        }
    }
}
