package dev.vdisk.kube.node;

import static dev.vdisk.kube.node.NodeFixture.MIB;
import static dev.vdisk.kube.node.NodeFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.node.testing.Privileged;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A restarted node agent resyncs everything without repeating finished work; its VdiskNode beats. */
@ExtendWith(Privileged.class)
@EnableKubernetesMockClient(crud = true)
class RestartResyncTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void aRestartWritesNothingForFinishedWork() throws Exception {
        try (NodeFixture node = new NodeFixture(server, client, dir)) {
            node.createVolume("pvc-1", 8 * MIB, null, Map.of(), null);
            node.createSnapshot("snap-1", "pvc-1");
            node.createVolume("pvc-2", 8 * MIB, "snap-1", Map.of(), null);
            await(
                    "all Ready",
                    () -> VolumeLifecycleTest.ready(node.volume("pvc-2"), 1)
                            && SnapshotsAndClonesTest.ready(node.snapshot("snap-1"))
                            && List.of("pvc-2")
                                    .equals(node.snapshot("snap-1").getStatus().dependents()),
                    () -> node.snapshot("snap-1").getStatus());
            String created = node.snapshot("snap-1").getStatus().creationTime();
            String volumeVersion = node.volume("pvc-1").getMetadata().getResourceVersion();
            String snapshotVersion = node.snapshot("snap-1").getMetadata().getResourceVersion();
            long createdMillis = node.agent.getSnapshot("snap-1").orElseThrow().createdMillis();

            Thread.sleep(1100); // a repeated snapshot would get another creation second
            drain();
            node.restart();
            // the restarted agent has listed everything and reconciled it; give it time to (wrongly) write
            Thread.sleep(1500);
            List<String> writes = new ArrayList<>();
            for (RecordedRequest r = server.takeRequest(10, TimeUnit.MILLISECONDS);
                    r != null;
                    r = server.takeRequest(10, TimeUnit.MILLISECONDS)) {
                if (!r.getMethod().equals("GET")
                        && !r.getPath().contains("/vdisknodes")
                        && !r.getPath().contains("/events")) {
                    writes.add(r.getMethod() + " " + r.getPath());
                }
            }
            assertEquals(List.of(), writes, "nothing written for finished work");
            assertEquals(created, node.snapshot("snap-1").getStatus().creationTime());
            assertEquals(
                    createdMillis,
                    node.agent.getSnapshot("snap-1").orElseThrow().createdMillis());
            assertEquals(volumeVersion, node.volume("pvc-1").getMetadata().getResourceVersion());
            assertEquals(snapshotVersion, node.snapshot("snap-1").getMetadata().getResourceVersion());

            VdiskNode vn =
                    client.resources(VdiskNode.class).withName(NodeFixture.NODE).get();
            long total = vn.getStatus().capacity().totalBytes();
            assertTrue(
                    total > NodeFixture.POOL_BYTES / 2 && total <= NodeFixture.POOL_BYTES, "the pool's size: " + total);
            assertTrue(vn.getStatus().capacity().availableBytes() < total);
            String beat = vn.getStatus().heartbeatTime();
            await(
                    "another heartbeat",
                    () -> !beat.equals(client.resources(VdiskNode.class)
                            .withName(NodeFixture.NODE)
                            .get()
                            .getStatus()
                            .heartbeatTime()),
                    () -> beat);
            assertEquals("True", vn.getStatus().conditions().getFirst().getStatus());
        }
        VdiskNode stopped =
                client.resources(VdiskNode.class).withName(NodeFixture.NODE).get();
        assertEquals("AgentStopped", stopped.getStatus().conditions().getFirst().getReason());
    }

    private void drain() throws InterruptedException {
        while (server.takeRequest(10, TimeUnit.MILLISECONDS) != null) {
            // requests of the first run and of the restart's list
        }
    }
}
