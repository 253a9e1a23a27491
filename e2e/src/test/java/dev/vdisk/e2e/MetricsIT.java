package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeRequest;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.vdisk.node.testing.Privileged;
import io.grpc.ManagedChannel;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/vdisk-csi standalone --metrics-listen}: a scrape of the running process shows the CSI calls it served,
 * the agent's volumes and loop devices, and the bytes the data path moved; SIGTERM stops the endpoint with the rest.
 */
@ExtendWith(Privileged.class)
class MetricsIT {
    private static final long MIB = 1 << 20;
    private static final VolumeCapability BLOCK = VolumeCapability.newBuilder()
            .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
            .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER))
            .build();

    @TempDir
    Path dir;

    @Test
    void aScrapeShowsCallsVolumesAndDataPathBytes() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path socket = dir.resolve("run/csi.sock");
        Files.createDirectories(dir.resolve("kubelet"));
        LauncherProcess process = LauncherProcess.start(
                dir,
                socket,
                "standalone",
                "--endpoint",
                "unix://" + socket,
                "--node-id",
                "e2e-node",
                "--pool",
                dir.resolve("pool").toString(),
                "--pool-size",
                "1G",
                "--state-dir",
                dir.resolve("state").toString(),
                "--kubelet-dir",
                dir.resolve("kubelet").toString(),
                "--metrics-listen",
                "127.0.0.1:" + port);
        try (HttpClient http = HttpClient.newHttpClient()) {
            ManagedChannel channel = process.awaitReady();
            var controller = ControllerGrpc.newBlockingStub(channel);
            var node = NodeGrpc.newBlockingStub(channel);
            String id = controller
                    .createVolume(CreateVolumeRequest.newBuilder()
                            .setName("metrics-1")
                            .addVolumeCapabilities(BLOCK)
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(64 * MIB))
                            .build())
                    .getVolume()
                    .getVolumeId();
            Path staging = dir.resolve("kubelet/plugins/kubernetes.io/csi/vdisk.csi.dev/" + id + "/globalmount");
            Path target = dir.resolve("kubelet/pods/pod-1/volumes/kubernetes.io~csi/" + id + "/mount");
            Files.createDirectories(target.getParent());
            node.nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setStagingTargetPath(staging.toString())
                    .setVolumeCapability(BLOCK)
                    .build());
            node.nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setStagingTargetPath(staging.toString())
                    .setTargetPath(target.toString())
                    .setVolumeCapability(BLOCK)
                    .build());
            try (RandomAccessFile device = new RandomAccessFile(target.toFile(), "rw")) {
                byte[] data = new byte[(int) MIB];
                Arrays.fill(data, (byte) 7);
                device.write(data);
                device.getFD().sync();
            }

            HttpResponse<String> scrape = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scrape.statusCode());
            String text = scrape.body();
            assertEquals(
                    1.0,
                    value(
                            text,
                            "vdisk_csi_calls_seconds_count{code=\"OK\",method=\"csi.v1.Controller/CreateVolume\"}"));
            assertEquals(
                    1.0,
                    value(text, "vdisk_csi_calls_seconds_count{code=\"OK\",method=\"csi.v1.Node/NodeStageVolume\"}"));
            assertEquals(1.0, value(text, "vdisk_volumes"));
            assertEquals(1.0, value(text, "vdisk_volumes_staged"));
            assertEquals(1.0, value(text, "vdisk_loop_devices"));
            assertEquals(1.0 * 1024 * MIB, value(text, "vdisk_pool_total_bytes"));
            assertTrue(value(text, "vdisk_fuse_bytes_total{op=\"write\"}") >= MIB, text);
            assertTrue(value(text, "jvm_threads_live_threads") > 0, "the JVM's own meters are there too");

            node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setTargetPath(target.toString())
                    .build());
            node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setStagingTargetPath(staging.toString())
                    .build());
            assertEquals(0, process.terminate(), process.stderr());
            assertTrue(process.stderr().contains("stopped serving metrics on 127.0.0.1:" + port), process.stderr());
        } finally {
            process.close();
            KernelView.cleanUpUnder(dir);
        }
        assertTrue(KernelView.under(dir).isEmpty(), "leaked: " + KernelView.under(dir));
    }

    /** The value of the one sample line that starts with {@code series} (name and labels as served). */
    private static double value(String text, String series) {
        return text.lines()
                .filter(l -> l.startsWith(series + " "))
                .findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).strip()))
                .orElseThrow(() -> new AssertionError("no " + series + " in\n" + text));
    }
}
