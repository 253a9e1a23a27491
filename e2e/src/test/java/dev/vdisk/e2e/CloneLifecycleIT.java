package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import csi.v1.CapacityRange;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGrpc;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.NodeGrpc;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeContentSource;
import dev.vdisk.node.testing.Privileged;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #7's clone lifecycle against {@code bin/vdisk-csi standalone} over its socket, with ext4 on real block
 * devices: files written to a volume survive a snapshot, a clone of it with {@code splitOnClone: copy}, the split
 * (observed as volume_context {@code vdisk.csi.dev/split} of ControllerGetVolume and ListVolumes), and the deletion
 * of the snapshot and of the source volume; the clone is remounted and its files checked again at the end.
 */
@ExtendWith(Privileged.class)
class CloneLifecycleIT {
    private static final long MIB = 1 << 20;
    private static final String SPLIT = "vdisk.csi.dev/split";
    private static final VolumeCapability EXT4 = VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
            .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER))
            .build();

    @TempDir
    static Path dir;

    private static StandaloneFixture standalone;
    private static ControllerGrpc.ControllerBlockingStub controller;
    private static NodeGrpc.NodeBlockingStub node;

    @BeforeAll
    static void start() throws Exception {
        standalone = StandaloneFixture.start(dir, "1G");
        controller = standalone.controller;
        node = standalone.node;
    }

    @AfterAll
    static void stop() throws Exception {
        StandaloneFixture.stop(standalone, dir);
    }

    @Test
    void aCopySplitCloneKeepsItsFilesAfterTheSnapshotAndTheSourceAreGone() throws Exception {
        String src = "";
        String snap = "";
        String clone = "";
        try {
            src = controller
                    .createVolume(CreateVolumeRequest.newBuilder()
                            .setName("lifecycle-src")
                            .addVolumeCapabilities(EXT4)
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(64 * MIB))
                            .build())
                    .getVolume()
                    .getVolumeId();
            Path srcDir = attach(src);
            Map<String, String> sums = writeFiles(srcDir);

            snap = controller
                    .createSnapshot(CreateSnapshotRequest.newBuilder()
                            .setName("lifecycle-snap")
                            .setSourceVolumeId(src)
                            .build())
                    .getSnapshot()
                    .getSnapshotId();
            Volume created = controller
                    .createVolume(CreateVolumeRequest.newBuilder()
                            .setName("lifecycle-clone")
                            .addVolumeCapabilities(EXT4)
                            .putParameters("splitOnClone", "copy")
                            .setVolumeContentSource(VolumeContentSource.newBuilder()
                                    .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                            .setSnapshotId(snap)))
                            .build())
                    .getVolume();
            clone = created.getVolumeId();
            assertFalse(created.getVolumeContextMap().containsKey(SPLIT), "CreateVolume's context stays static");
            assertEquals(sums, checksums(attach(clone)), "the clone has the snapshot's files");

            awaitSplitDone(clone);
            assertEquals(
                    "DONE",
                    controller.listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                            .filter(e -> e.getVolume().getVolumeId().equals(created.getVolumeId()))
                            .findFirst()
                            .orElseThrow()
                            .getVolume()
                            .getVolumeContextOrThrow(SPLIT),
                    "ListVolumes reports it too");

            controller.deleteSnapshot(
                    DeleteSnapshotRequest.newBuilder().setSnapshotId(snap).build());
            detach(src);
            controller.deleteVolume(
                    DeleteVolumeRequest.newBuilder().setVolumeId(src).build());
            String srcId = src;
            assertFalse(
                    controller.listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                            .anyMatch(e -> e.getVolume().getVolumeId().equals(srcId)),
                    "the source is gone");

            // unmount and mount the clone again: its files come from its own data now
            detach(clone);
            assertEquals(sums, checksums(attach(clone)), "the clone's files after its source is gone");
        } finally {
            for (String id : new String[] {clone, src}) {
                if (!id.isEmpty()) {
                    quietly(() -> detach(id));
                    quietly(() -> controller.deleteVolume(
                            DeleteVolumeRequest.newBuilder().setVolumeId(id).build()));
                }
            }
            if (!snap.isEmpty()) {
                String s = snap;
                quietly(() -> controller.deleteSnapshot(
                        DeleteSnapshotRequest.newBuilder().setSnapshotId(s).build()));
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void awaitSplitDone(String volumeId) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        String phase = "";
        while (System.nanoTime() < deadline) {
            phase = controller
                    .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                            .setVolumeId(volumeId)
                            .build())
                    .getVolume()
                    .getVolumeContextOrDefault(SPLIT, "");
            if (phase.equals("DONE")) {
                return;
            }
            assertFalse(
                    phase.equals("FAILED") || phase.equals("CANCELLED") || phase.equals("PAUSED"),
                    "the split of " + volumeId + " stopped: " + phase + "\n" + standalone.stderr());
            Thread.sleep(200);
        }
        throw new AssertionError("the split of " + volumeId + " is not DONE after 120 s, but '" + phase + "'");
    }

    /** Stages (formats if blank) and publishes the volume as ext4; returns the mounted target. */
    private static Path attach(String id) throws IOException {
        return standalone.attach(id, EXT4);
    }

    private static void detach(String id) {
        standalone.detach(id);
    }

    /** Three files of random bytes (one spanning several segments), each fsynced; returns name -> SHA-256. */
    private static Map<String, String> writeFiles(Path root) throws Exception {
        Random random = new Random(7);
        Files.createDirectories(root.resolve("d"));
        for (var e : Map.of("a.bin", 3 * (int) MIB, "d/b.bin", 4096, "d/c.bin", 777_777)
                .entrySet()) {
            byte[] b = new byte[e.getValue()];
            random.nextBytes(b);
            Path f = root.resolve(e.getKey());
            Files.write(f, b);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
        KernelView.run("sync", "-f", root.toString());
        return checksums(root);
    }

    private static Map<String, String> checksums(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (String name : new String[] {"a.bin", "d/b.bin", "d/c.bin"}) {
            byte[] sum = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(root.resolve(name)));
            out.put(name, HexFormat.of().formatHex(sum));
        }
        return out;
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            System.err.println("cleanup: " + e);
        }
    }
}
