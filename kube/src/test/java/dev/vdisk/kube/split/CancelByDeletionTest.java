package dev.vdisk.kube.split;

import static dev.vdisk.kube.split.SplitFixture.NS;
import static dev.vdisk.kube.split.SplitFixture.await;
import static dev.vdisk.kube.split.SplitFixture.progress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deleting a request cancels its running split and goes once the node reports it stopped; at once if none runs. */
@EnableKubernetesMockClient(crud = true)
class CancelByDeletionTest {

    KubernetesMockServer server;
    KubernetesClient client;
    SplitFixture fx;

    @BeforeEach
    void setUp() {
        fx = new SplitFixture(server, client);
        fx.volume("vol-db", "snap-1");
        fx.boundPvc("db", "vol-db", SplitFixture.DRIVER);
        fx.startController();
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    @Test
    void deletingARunningRequestCancelsTheSplit() {
        fx.createRequest("split-db", "db", "copy", null);
        await(
                "spec.split set",
                () -> fx.vdiskVolume("vol-db").getSpec().split() != null,
                () -> fx.vdiskVolume("vol-db"));
        fx.report("vol-db", progress("copy", "FILLING", 40, 4L << 20));
        await("running", () -> running("split-db"), () -> fx.request("split-db"));

        fx.run(() -> client.resources(SplitRequest.class)
                .inNamespace(NS)
                .withName("split-db")
                .delete());
        await("cancel asked", () -> fx.vdiskVolume("vol-db").getSpec().split().cancel(), () -> fx.vdiskVolume("vol-db")
                .getSpec());
        assertEquals(
                new SplitSpec("copy", 0, true, "SplitRequest team-a/split-db"),
                fx.vdiskVolume("vol-db").getSpec().split());
        // the node has not stopped the split yet: the finalizer holds the request
        fx.run(() -> ResourceTriggeredSplitTest.sleep(300));
        SplitRequest deleting = fx.request("split-db");
        assertNotNull(deleting, "kept by its finalizer until the split stopped");
        assertNotNull(deleting.getMetadata().getDeletionTimestamp());

        fx.report("vol-db", progress("copy", "CANCELLED", 42, 4L << 20));
        await("request gone", () -> fx.request("split-db") == null, () -> fx.request("split-db"));
        assertNull(fx.vdiskVolume("vol-db").getSpec().split(), "spec.split cleared");
        await("cancelled event", () -> fx.eventReasons("db").contains("SplitCancelled"), () -> fx.eventReasons("db"));
        assertEquals(List.of("SplitStarted", "SplitProgress", "SplitCancelled"), fx.eventReasons("db"));
        assertTrue(
                fx.events("db").getLast().getMessage().contains("42%"),
                fx.events("db").getLast().getMessage());
    }

    @Test
    void deletingWhenNothingRunsRemovesTheFinalizerAtOnce() {
        fx.createRequest("split-ghost", "no-such-pvc", "share", null);
        await(
                "pending with the finalizer",
                () -> {
                    SplitRequest r = fx.request("split-ghost");
                    return r != null
                            && r.getStatus() != null
                            && !r.getMetadata().getFinalizers().isEmpty();
                },
                () -> fx.request("split-ghost"));
        assertEquals(
                SplitRequestPhase.Pending, fx.request("split-ghost").getStatus().phase());

        fx.run(() -> client.resources(SplitRequest.class)
                .inNamespace(NS)
                .withName("split-ghost")
                .delete());
        await("request gone", () -> fx.request("split-ghost") == null, () -> fx.request("split-ghost"));
        assertNull(fx.vdiskVolume("vol-db").getSpec().split());
    }

    private boolean running(String name) {
        SplitRequest r = fx.request(name);
        return r != null && r.getStatus() != null && r.getStatus().phase() == SplitRequestPhase.Running;
    }
}
