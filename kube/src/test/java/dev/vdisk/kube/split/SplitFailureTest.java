package dev.vdisk.kube.split;

import static dev.vdisk.kube.split.SplitFixture.await;
import static dev.vdisk.kube.split.SplitFixture.progress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A split that fails (or is refused, or meets another split) ends Failed with a reason and a Warning on the PVC. */
@EnableKubernetesMockClient(crud = true)
class SplitFailureTest {

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
    void nodeReportsFailed() {
        fx.createRequest("split-db", "db", "copy", null);
        await(
                "spec.split set",
                () -> fx.vdiskVolume("vol-db").getSpec().split() != null,
                () -> fx.vdiskVolume("vol-db"));
        fx.report("vol-db", progress("copy", "FILLING", 60, 6L << 20));
        fx.report("vol-db", progress("copy", "FAILED", 60, 6L << 20));
        await("failed", () -> phase("split-db") == SplitRequestPhase.Failed, () -> fx.request("split-db"));
        SplitRequestStatus s = fx.request("split-db").getStatus();
        Condition failed = condition(s, "Failed");
        assertEquals("True", failed.getStatus());
        assertEquals("SplitFailed", failed.getReason());
        assertEquals("out of space: 0 B free", failed.getMessage());
        assertEquals("True", condition(s, "Accepted").getStatus(), "it was accepted before it failed");
        assertEquals(60, s.percent());
        assertTrue(s.completionTime() != null);
        await("spec.split cleared", () -> fx.vdiskVolume("vol-db").getSpec().split() == null, () -> fx.vdiskVolume(
                        "vol-db")
                .getSpec());
        await("failed event", () -> fx.eventReasons("db").contains("SplitFailed"), () -> fx.eventReasons("db"));
        Event warning = fx.events("db").getLast();
        assertEquals("Warning", warning.getType());
        assertTrue(warning.getMessage().contains("SplitFailed: out of space"), warning.getMessage());
    }

    @Test
    void nodeRefusesTheSplit() {
        fx.createRequest("split-db", "db", "copy", null);
        await(
                "spec.split set",
                () -> fx.vdiskVolume("vol-db").getSpec().split() != null,
                () -> fx.vdiskVolume("vol-db"));
        fx.refuse("vol-db", "OUT_OF_SPACE", "pool has 0 B free, the copy needs 1 GiB");
        await("failed", () -> phase("split-db") == SplitRequestPhase.Failed, () -> fx.request("split-db"));
        Condition failed = condition(fx.request("split-db").getStatus(), "Failed");
        assertEquals("OUT_OF_SPACE", failed.getReason());
        assertEquals("pool has 0 B free, the copy needs 1 GiB", failed.getMessage());
        await("spec.split cleared", () -> fx.vdiskVolume("vol-db").getSpec().split() == null, () -> fx.vdiskVolume(
                        "vol-db")
                .getSpec());
    }

    @Test
    void secondRequestForTheSamePvcIsRejected() {
        fx.createRequest("split-1", "db", "copy", null);
        await(
                "first accepted",
                () -> fx.vdiskVolume("vol-db").getSpec().split() != null,
                () -> fx.vdiskVolume("vol-db"));
        fx.report("vol-db", progress("copy", "FILLING", 10, 1L << 20));
        fx.createRequest("split-2", "db", "share", null);
        await("second failed", () -> phase("split-2") == SplitRequestPhase.Failed, () -> fx.request("split-2"));
        SplitRequestStatus s = fx.request("split-2").getStatus();
        assertEquals("Rejected", condition(s, "Failed").getReason());
        assertEquals("False", condition(s, "Accepted").getStatus());
        assertTrue(
                condition(s, "Failed").getMessage().contains("SplitRequest team-a/split-1"),
                condition(s, "Failed").getMessage());
        assertEquals("vol-db", s.volumeId());
        assertEquals(
                "SplitRequest team-a/split-1",
                fx.vdiskVolume("vol-db").getSpec().split().requestedBy(),
                "the first split keeps running");
        await(
                "rejection event",
                () -> fx.events("db").stream()
                        .anyMatch(e ->
                                e.getType().equals("Warning") && e.getMessage().contains("Rejected")),
                () -> fx.events("db"));
    }

    private SplitRequestPhase phase(String name) {
        SplitRequest r = fx.request(name);
        return r == null || r.getStatus() == null ? null : r.getStatus().phase();
    }

    private static Condition condition(SplitRequestStatus s, String type) {
        return ResourceTriggeredSplitTest.condition(s, type);
    }
}
