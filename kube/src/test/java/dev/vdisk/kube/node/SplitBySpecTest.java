package dev.vdisk.kube.node;

import static dev.vdisk.kube.node.NodeFixture.MIB;
import static dev.vdisk.kube.node.NodeFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.SplitProgress;
import dev.vdisk.kube.resource.SplitSpec;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeSpec;
import dev.vdisk.node.testing.Privileged;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** spec.split starts and cancels a clone split; its progress, times and milestones show in status and Events. */
@ExtendWith(Privileged.class)
@EnableKubernetesMockClient(crud = true)
class SplitBySpecTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void startProgressCancelResumeComplete() throws Exception {
        try (NodeFixture node = new NodeFixture(server, client, dir)) {
            node.createVolume("pvc-src", 16 * MIB, null, Map.of(), null);
            await("pvc-src Ready", () -> VolumeLifecycleTest.ready(node.volume("pvc-src"), 1), () -> node.volume(
                            "pvc-src")
                    .getStatus());
            byte[] data = new byte[(int) (6 * MIB)];
            new Random(1).nextBytes(data);
            node.write("pvc-src", data);
            node.createSnapshot("snap-1", "pvc-src");
            // a slow copy (1 MiB/s over 6 MiB) so that it can be watched and cancelled
            node.createVolume("pvc-c", 16 * MIB, "snap-1", Map.of(), new SplitSpec("copy", MIB, false, "test"));

            List<SplitProgress> seen = new ArrayList<>();
            await(
                    "the split running with progress",
                    () -> {
                        SplitProgress p = split(node, "pvc-c");
                        if (p != null && (seen.isEmpty() || !seen.getLast().equals(p))) {
                            seen.add(p);
                        }
                        return p != null && p.phase().equals("FILLING") && p.percent() > 0 && p.bytesRelocated() > 0;
                    },
                    () -> seen);
            SplitProgress running = split(node, "pvc-c");
            assertEquals("copy", running.mode());
            assertFalse(running.startTime().isEmpty());
            assertTrue(running.completionTime().isEmpty());
            assertEquals("snap-1", node.volume("pvc-c").getStatus().backingSnapshotId());
            await("a SplitStarted event", () -> reasons(node).contains("SplitStarted"), () -> reasons(node));

            setSplit(node, new SplitSpec("copy", MIB, true, "test"));
            await("cancelled", () -> split(node, "pvc-c").phase().equals("CANCELLED"), () -> split(node, "pvc-c"));
            SplitProgress cancelled = split(node, "pvc-c");
            assertTrue(cancelled.percent() < 100, "stopped early: " + cancelled);
            assertFalse(cancelled.completionTime().isEmpty());
            await("a SplitCancelled event", () -> reasons(node).contains("SplitCancelled"), () -> reasons(node));

            setSplit(node, new SplitSpec("copy", 0, false, "test"));
            await("done", () -> split(node, "pvc-c").phase().equals("DONE"), () -> split(node, "pvc-c"));
            await(
                    "the volume's lineage refreshed",
                    () -> node.volume("pvc-c").getStatus().backingSnapshotId() == null,
                    () -> node.volume("pvc-c").getStatus());
            VdiskVolume v = node.volume("pvc-c");
            assertEquals(100, v.getStatus().split().percent());
            assertEquals(0, v.getStatus().chainDepth());
            assertNull(v.getStatus().backingSnapshotId());
            assertTrue(
                    v.getStatus().conditions().stream()
                            .anyMatch(c ->
                                    c.getType().equals("Split") && c.getStatus().equals("True")),
                    v.getStatus().conditions().toString());
            await("a SplitCompleted event", () -> reasons(node).contains("SplitCompleted"), () -> reasons(node));
            assertEquals(
                    1, reasons(node).stream().filter("SplitCompleted"::equals).count());
        }
    }

    @Test
    void aVolumeWithoutBackingRefusesTheSplit() throws Exception {
        try (NodeFixture node = new NodeFixture(server, client, dir)) {
            node.createVolume("pvc-1", 4 * MIB, null, Map.of(), new SplitSpec("share", 0, false, "test"));
            await(
                    "split FAILED",
                    () -> split(node, "pvc-1") != null
                            && split(node, "pvc-1").phase().equals("FAILED"),
                    () -> node.volume("pvc-1").getStatus());
            assertTrue(
                    split(node, "pvc-1").message().startsWith("FAILED_PRECONDITION: "),
                    split(node, "pvc-1").message());
            assertEquals(ResourcePhase.Ready, node.volume("pvc-1").getStatus().phase(), "the volume itself is fine");
            await("a SplitFailed event", () -> reasons(node).contains("SplitFailed"), () -> reasons(node));
        }
    }

    private static SplitProgress split(NodeFixture node, String name) {
        VdiskVolume v = node.volume(name);
        return v == null || v.getStatus() == null ? null : v.getStatus().split();
    }

    /** Sets the spec's split as a user would, again on a 409: the agent writes the status meanwhile. */
    private static void setSplit(NodeFixture node, SplitSpec split) {
        for (int attempt = 1; ; attempt++) {
            try {
                node.client.resources(VdiskVolume.class).withName("pvc-c").edit(x -> {
                    VdiskVolumeSpec s = x.getSpec();
                    x.setSpec(new VdiskVolumeSpec(
                            s.nodeName(), s.sizeBytes(), s.sourceSnapshotId(), s.attributes(), split));
                    return x;
                });
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private static List<String> reasons(NodeFixture node) {
        return node.client.v1().events().inNamespace(EventRecorder.CLUSTER_SCOPED_NAMESPACE).list().getItems().stream()
                .map(e -> e.getReason())
                .toList();
    }
}
