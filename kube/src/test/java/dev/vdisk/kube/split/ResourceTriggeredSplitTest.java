package dev.vdisk.kube.split;

import static dev.vdisk.kube.split.SplitFixture.NS;
import static dev.vdisk.kube.split.SplitFixture.await;
import static dev.vdisk.kube.split.SplitFixture.progress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.access.RecordedAccess;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestStatus;
import dev.vdisk.kube.resource.SplitSpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A SplitRequest sets the volume's spec.split, mirrors the node agent's progress, records PVC Events, completes. */
@EnableKubernetesMockClient(crud = true)
class ResourceTriggeredSplitTest {

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
    void progressMilestonesAndCompletion() {
        fx.createRequest("split-db", "db", "copy", 200L << 20);

        await(
                "spec.split set",
                () -> fx.vdiskVolume("vol-db").getSpec().split() != null,
                () -> fx.vdiskVolume("vol-db"));
        assertEquals(
                new SplitSpec("copy", 200L << 20, false, "SplitRequest team-a/split-db"),
                fx.vdiskVolume("vol-db").getSpec().split());
        await(
                "accepted",
                () -> status("split-db") != null
                        && "vol-db".equals(status("split-db").volumeId()),
                () -> fx.request("split-db"));
        SplitRequest accepted = fx.request("split-db");
        assertTrue(accepted.hasFinalizer(ResourceKeys.SPLIT_FINALIZER), "finalizer set");
        assertEquals(SplitRequestPhase.Pending, accepted.getStatus().phase());
        assertEquals("True", condition(accepted.getStatus(), "Accepted").getStatus());

        fx.report("vol-db", progress("copy", "QUEUED", 0, 0));
        await("queued", () -> status("split-db").phase() == SplitRequestPhase.Queued, () -> status("split-db"));
        assertNull(status("split-db").startTime(), "no start time while queued");

        fx.report("vol-db", progress("copy", "FILLING", 30, 3L << 20));
        await("running at 30%", () -> status("split-db").percent() == 30, () -> status("split-db"));
        SplitRequestStatus running = status("split-db");
        assertEquals(SplitRequestPhase.Running, running.phase());
        assertEquals(3L << 20, running.bytesRelocated());
        assertEquals(4L << 20, running.bytesPerSecond());
        assertEquals(17, running.etaSeconds());
        assertEquals("2026-11-22T07:00:00Z", running.startTime());
        assertNull(running.completionTime());
        assertEquals("Running", condition(running, "Complete").getReason());
        await("started and 25% events", () -> fx.eventReasons("db").size() == 2, () -> fx.eventReasons("db"));
        assertEquals(List.of("SplitStarted", "SplitProgress"), fx.eventReasons("db"));

        fx.report("vol-db", progress("copy", "FILLING", 80, 8L << 20));
        await("running at 80%", () -> status("split-db").percent() == 80, () -> status("split-db"));
        fx.report("vol-db", progress("copy", "DONE", 100, 10L << 20));
        await("succeeded", () -> status("split-db").phase() == SplitRequestPhase.Succeeded, () -> status("split-db"));
        SplitRequestStatus done = status("split-db");
        assertEquals(100, done.percent());
        assertEquals(10L << 20, done.bytesRelocated());
        assertEquals("2026-11-22T07:01:00Z", done.completionTime());
        assertEquals("True", condition(done, "Complete").getStatus());
        assertEquals("SplitDone", condition(done, "Complete").getReason());
        assertNull(condition(done, "Failed"), "no Failed condition on success");
        await("spec.split cleared", () -> fx.vdiskVolume("vol-db").getSpec().split() == null, () -> fx.vdiskVolume(
                        "vol-db")
                .getSpec());

        await("all events", () -> fx.eventReasons("db").size() == 5, () -> fx.eventReasons("db"));
        List<Event> events = fx.events("db");
        assertEquals(
                List.of("SplitStarted", "SplitProgress", "SplitProgress", "SplitProgress", "SplitCompleted"),
                events.stream().map(Event::getReason).toList());
        assertEquals(
                List.of("25%", "50%", "75%"),
                events.subList(1, 4).stream()
                        .map(e -> e.getMessage().split(" ")[0])
                        .toList());
        assertTrue(events.stream()
                .allMatch(e -> e.getType().equals("Normal")
                        && e.getInvolvedObject().getKind().equals("PersistentVolumeClaim")
                        && NS.equals(e.getInvolvedObject().getNamespace())));

        Set<RecordedAccess.Access> seen = fx.controllerAccess();
        assertTrue(
                seen.contains(new RecordedAccess.Access("vdisk.csi.dev", "splitrequests/status", "patch")),
                seen.toString());
        assertTrue(seen.contains(new RecordedAccess.Access("vdisk.csi.dev", "vdiskvolumes", "patch")), seen.toString());
        assertTrue(seen.contains(new RecordedAccess.Access("", "events", "create")), seen.toString());
    }

    @Test
    void statusPatchKeepsTheSpecAndIgnoresStaleAgentReports() {
        // a report for an older generation (before the controller set spec.split) must not be taken for this split
        fx.report("vol-db", progress("copy", "CANCELLED", 10, 1L << 20));
        fx.createRequest("split-db", "db", "share", null);
        await(
                "accepted",
                () -> status("split-db") != null && status("split-db").volumeId() != null,
                () -> fx.request("split-db"));
        await(
                "spec.split set",
                () -> fx.vdiskVolume("vol-db").getSpec().split() != null,
                () -> fx.vdiskVolume("vol-db"));
        // give the controller a chance to (wrongly) mirror the stale CANCELLED report
        fx.run(() -> sleep(300));
        assertEquals(SplitRequestPhase.Pending, status("split-db").phase());
        assertEquals("share", fx.request("split-db").getSpec().mode(), "status patches leave the spec alone");
        fx.report("vol-db", progress("share", "RELEASING", 50, 1L << 20));
        await("running", () -> status("split-db").phase() == SplitRequestPhase.Running, () -> status("split-db"));
        assertNotNull(fx.request("split-db").getStatus().observedGeneration());
    }

    private SplitRequestStatus status(String name) {
        SplitRequest r = fx.request(name);
        return r == null ? null : r.getStatus();
    }

    static Condition condition(SplitRequestStatus s, String type) {
        return s.conditions().stream()
                .filter(c -> c.getType().equals(type))
                .findFirst()
                .orElse(null);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
