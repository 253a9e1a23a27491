package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.ListSnapshotsRequest;
import csi.v1.Snapshot;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeContentSource;
import dev.vdisk.node.testing.Privileged;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 in block mode with the controller's work running across the restart: {@code bin/vdisk-csi standalone}
 * with a descriptor holder; a block volume with a {@link VerifyingWriter}; a clone of its snapshot with
 * {@code splitOnClone: copy}, killed (SIGKILL) while its split runs, and a CreateSnapshot sent as the kill happens
 * and retried like the snapshotter does. After the start: the split is DONE with the snapshot's data, the snapshot
 * is ready, the writer saw no error and lost nothing, and nothing is left once both processes are stopped.
 */
@ExtendWith({Privileged.class, HandoverKernel.class})
class SplitHandoverIT {
    private static final long MIB = 1 << 20;
    private static final String SPLIT = "vdisk.csi.dev/split";
    private static final VolumeCapability BLOCK = VolumeCapability.newBuilder()
            .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
            .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER))
            .build();
    /** The snapshot's data: the first DATA bytes of the source; the writer works past them. */
    private static final int DATA = (int) (96 * MIB);

    private static final Duration KILL_PAUSE = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private LauncherProcess holder;
    private volatile StandaloneFixture standalone;
    private VerifyingWriter writer;

    /** The process before the holder (it may hand its volumes over), then whatever is left under the directory. */
    @AfterEach
    void cleanUp() throws Exception {
        if (writer != null) {
            writer.close();
        }
        try {
            if (standalone != null) {
                standalone.close();
            }
        } finally {
            if (holder != null) {
                holder.close();
            }
        }
        StandaloneFixture.stop(null, dir);
        assertEquals(List.of(), KernelView.processesUnder(dir), "processes left running");
    }

    @Test
    void cloneSplitAndSnapshotFinishAcrossASigkill() throws Exception {
        Path socket = dir.resolve("state/fd-holder/holder.sock");
        holder = LauncherProcess.startHolder(dir, socket);
        String[] flags = {"--fd-holder", socket.toString()};
        standalone = StandaloneFixture.start(dir, "1G", flags);

        String src = standalone
                .controller
                .createVolume(CreateVolumeRequest.newBuilder()
                        .setName("handover-src")
                        .addVolumeCapabilities(BLOCK)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(128 * MIB))
                        .build())
                .getVolume()
                .getVolumeId();
        Path srcDevice = standalone.attach(src, BLOCK);
        byte[] data = NodeLifecycleIT.random(17, DATA);
        NodeLifecycleIT.writeDevice(srcDevice, 0, data);
        String snap = standalone
                .controller
                .createSnapshot(CreateSnapshotRequest.newBuilder()
                        .setName("handover-snap")
                        .setSourceVolumeId(src)
                        .build())
                .getSnapshot()
                .getSnapshotId();
        writer = VerifyingWriter.start("src", srcDevice, DATA, 1024);
        Thread.sleep(500);

        String clone = standalone
                .controller
                .createVolume(CreateVolumeRequest.newBuilder()
                        .setName("handover-clone")
                        .addVolumeCapabilities(BLOCK)
                        .putParameters("splitOnClone", "copy")
                        .setVolumeContentSource(VolumeContentSource.newBuilder()
                                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                        .setSnapshotId(snap)))
                        .build())
                .getVolume()
                .getVolumeId();
        String phase = splitPhase(clone);
        assertFalse(phase.equals("DONE"), "the split must still run at the kill; make DATA larger");
        CompletableFuture<Snapshot> across = CompletableFuture.supplyAsync(() -> snapshotRetrying(src));
        standalone.kill();
        long t0 = System.nanoTime();
        standalone = StandaloneFixture.start(dir, "1G", flags);
        System.out.printf(
                "split handover: killed with the split %s; start took %d ms%n",
                phase, (System.nanoTime() - t0) / 1_000_000);

        awaitSplitDone(clone);
        Snapshot taken = across.get(90, TimeUnit.SECONDS);
        assertTrue(taken.getReadyToUse(), taken.toString());
        assertTrue(
                standalone
                                .controller
                                .listSnapshots(ListSnapshotsRequest.newBuilder()
                                        .setSnapshotId(taken.getSnapshotId())
                                        .build())
                                .getEntriesCount()
                        == 1,
                "the snapshot is listed");
        IoReport report = writer.stop();
        writer = null;
        System.out.println("split handover: " + report);
        assertEquals(0, report.errors(), report + "\n" + NodeHandoverIT.tail(standalone.stderr()));
        assertEquals(0, report.lost(), report.toString());
        assertTrue(report.longestPause().compareTo(KILL_PAUSE) < 0, report.toString());

        Path cloneDevice = standalone.attach(clone, BLOCK);
        assertArrayEquals(
                sha256(data),
                sha256(NodeLifecycleIT.readDevice(cloneDevice, 0, DATA)),
                "the split clone holds the snapshot's data");
        standalone.detach(clone);
        standalone.detach(src);
        StandaloneFixture.stop(standalone, dir);
        standalone = null;
        assertEquals(0, holder.terminate(), holder.stderr());
        assertTrue(KernelView.under(dir).isEmpty(), "left after unstage and stop: " + KernelView.under(dir));
    }

    /** CreateSnapshot as the snapshotter sends it: the same name again after UNAVAILABLE, until it is answered. */
    private Snapshot snapshotRetrying(String source) {
        CreateSnapshotRequest request = CreateSnapshotRequest.newBuilder()
                .setName("handover-across")
                .setSourceVolumeId(source)
                .build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                return standalone
                        .controller
                        .withDeadlineAfter(20, TimeUnit.SECONDS)
                        .createSnapshot(request)
                        .getSnapshot();
            } catch (StatusRuntimeException e) {
                boolean retry = e.getStatus().getCode() == Status.Code.UNAVAILABLE
                        || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED
                        || e.getStatus().getCode() == Status.Code.ABORTED;
                if (!retry || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private String splitPhase(String volumeId) {
        return standalone
                .controller
                .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .build())
                .getVolume()
                .getVolumeContextOrDefault(SPLIT, "");
    }

    private void awaitSplitDone(String volumeId) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String phase = "";
        while (System.nanoTime() < deadline) {
            phase = splitPhase(volumeId);
            if (phase.equals("DONE")) {
                return;
            }
            assertFalse(
                    phase.equals("FAILED") || phase.equals("CANCELLED"),
                    "the split of " + volumeId + " stopped: " + phase + "\n" + standalone.stderr());
            Thread.sleep(200);
        }
        throw new AssertionError(
                "the split of " + volumeId + " is not DONE 120 s after the restart, but '" + phase + "'");
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
