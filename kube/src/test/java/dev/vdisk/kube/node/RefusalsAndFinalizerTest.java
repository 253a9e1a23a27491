package dev.vdisk.kube.node;

import static dev.vdisk.kube.node.NodeFixture.MIB;
import static dev.vdisk.kube.node.NodeFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeSpec;
import dev.vdisk.node.agent.StagedVolume;
import dev.vdisk.node.testing.Privileged;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What the node agent refuses shows in status.failure and an Event; the finalizer stays while the pool has it. */
@ExtendWith(Privileged.class)
@EnableKubernetesMockClient(crud = true)
class RefusalsAndFinalizerTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void tooLargeIsRefusedUntilTheSpecChanges() throws Exception {
        try (NodeFixture node = new NodeFixture(server, client, dir)) {
            // thin volumes may overcommit the pool (the controller checks capacity), but not exceed the engine's limit
            node.createVolume("pvc-big", 2 * VolumeAgent.MAX_VOLUME_BYTES, null, Map.of(), null);
            await("pvc-big Failed", () -> phase(node.volume("pvc-big")) == ResourcePhase.Failed, () -> node.volume(
                            "pvc-big")
                    .getStatus());
            VdiskVolume v = node.volume("pvc-big");
            assertEquals("INVALID_ARGUMENT", v.getStatus().failure().reason());
            assertNotNull(v.getStatus().failure().message());
            assertEquals(
                    "INVALID_ARGUMENT", v.getStatus().conditions().getFirst().getReason());
            assertTrue(node.agent.getVolume("pvc-big").isEmpty());
            await(
                    "a ProvisioningFailed event",
                    () -> events(node, "pvc-big").stream()
                            .anyMatch(e -> e.getReason().equals("ProvisioningFailed")
                                    && e.getType().equals("Warning")
                                    && e.getMessage().startsWith("INVALID_ARGUMENT")),
                    () -> events(node, "pvc-big"));

            // a new spec retries
            client.resources(VdiskVolume.class).withName("pvc-big").edit(x -> {
                x.setSpec(new VdiskVolumeSpec(x.getSpec().nodeName(), 4 * MIB, null, Map.of(), null));
                return x;
            });
            await(
                    "pvc-big Ready at generation 2",
                    () -> VolumeLifecycleTest.ready(node.volume("pvc-big"), 2),
                    () -> node.volume("pvc-big").getStatus());
            assertEquals(null, node.volume("pvc-big").getStatus().failure(), "the failure is cleared");
        }
    }

    @Test
    void aStagedVolumeKeepsItsFinalizerUntilItCanBeDeleted() throws Exception {
        try (NodeFixture node = new NodeFixture(server, client, dir)) {
            node.createVolume("pvc-1", 8 * MIB, null, Map.of(), null);
            await("pvc-1 Ready", () -> VolumeLifecycleTest.ready(node.volume("pvc-1"), 1), () -> node.volume("pvc-1")
                    .getStatus());
            StagedVolume staged = new StagedVolume(
                    "pvc-1",
                    node.agent.config().kubeletDir().resolve("s"),
                    true,
                    "",
                    List.of(),
                    "SINGLE_NODE_WRITER",
                    Map.of());
            try (var held = node.agent.locks().lock("pvc-1")) {
                node.agent.staging().stage(staged);
                node.agent.staged().put(staged);
            }
            try {
                client.resources(VdiskVolume.class).withName("pvc-1").delete();
                await(
                        "the refusal in status",
                        () -> node.volume("pvc-1").getStatus().failure() != null,
                        () -> node.volume("pvc-1").getStatus());
                VdiskVolume v = node.volume("pvc-1");
                assertNotNull(v.getMetadata().getDeletionTimestamp());
                assertTrue(
                        v.getMetadata().getFinalizers().contains(ResourceKeys.NODE_AGENT_FINALIZER),
                        "the pool still has it");
                assertEquals("FAILED_PRECONDITION", v.getStatus().failure().reason());
                assertTrue(node.agent.getVolume("pvc-1").isPresent());
            } finally {
                try (var held = node.agent.locks().lock("pvc-1")) {
                    node.agent.staging().unstage(staged, false);
                    node.agent.staged().remove("pvc-1");
                }
            }
            // unstaged: the next retry deletes it and lets the object go
            await("pvc-1 gone", () -> node.volume("pvc-1") == null, () -> node.volume("pvc-1")
                    .getStatus());
            assertTrue(node.agent.getVolume("pvc-1").isEmpty());
        }
    }

    @Test
    void aVolumeLostFromThePoolIsReportedNotRecreated() throws Exception {
        try (NodeFixture node = new NodeFixture(server, client, dir)) {
            node.createVolume("pvc-1", 4 * MIB, null, Map.of(), null);
            await("pvc-1 Ready", () -> VolumeLifecycleTest.ready(node.volume("pvc-1"), 1), () -> node.volume("pvc-1")
                    .getStatus());
            node.agent.deleteVolume("pvc-1"); // behind the reconciler's back
            node.restart(); // the resync sees it
            await("pvc-1 Failed", () -> phase(node.volume("pvc-1")) == ResourcePhase.Failed, () -> node.volume("pvc-1")
                    .getStatus());
            assertEquals("NOT_FOUND", node.volume("pvc-1").getStatus().failure().reason());
            assertTrue(node.agent.getVolume("pvc-1").isEmpty(), "not re-created empty");
        }
    }

    static ResourcePhase phase(VdiskVolume v) {
        return v == null || v.getStatus() == null ? null : v.getStatus().phase();
    }

    static List<Event> events(NodeFixture node, String name) {
        return node.client.v1().events().inNamespace(EventRecorder.CLUSTER_SCOPED_NAMESPACE).list().getItems().stream()
                .filter(e -> e.getInvolvedObject().getName().equals(name))
                .toList();
    }
}
