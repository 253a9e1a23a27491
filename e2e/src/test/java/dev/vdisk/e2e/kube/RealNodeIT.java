package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.storage.CSINode;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The chart's own pods on a {@link RealNode} (real kubelet, containerd, runc, images built here) and the README's
 * user flows done by real pods, each judged by the pod's phase: the pod's script fails on wrong data.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealNodeIT {

    static final String USER_NAMESPACE = "e2e";

    private static RealNode node;
    private static NodeWorkloads user;

    @BeforeAll
    static void start() throws Exception {
        node = RealNode.start();
        KubernetesClient admin = node.admin();
        // the snapshot controller's manifest (shared with the API server suite) may have made it already
        if (admin.namespaces().withName(USER_NAMESPACE).get() == null) {
            admin.namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(USER_NAMESPACE)
                            .endMetadata()
                            .build())
                    .create();
        }
        // the controller manager makes the namespace's default service account; a pod before it is refused
        admin.serviceAccounts()
                .inNamespace(USER_NAMESPACE)
                .withName("default")
                .waitUntilCondition(sa -> sa != null, 60, TimeUnit.SECONDS);
        user = new NodeWorkloads(admin, USER_NAMESPACE);
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void theNodeIsReadyAndTheChartsPodsRunAndRegisterTheDriver() throws Exception {
        node.awaitChartPods(10);
        CSINode csiNode = node.admin()
                .storage()
                .v1()
                .csiNodes()
                .withName(RealNode.NODE)
                .waitUntilCondition(
                        n -> n != null
                                && n.getSpec().getDrivers() != null
                                && n.getSpec().getDrivers().stream()
                                        .anyMatch(d -> d.getName().equals("vdisk.csi.dev")),
                        60,
                        TimeUnit.SECONDS);
        assertTrue(
                csiNode.getSpec().getDrivers().stream()
                        .anyMatch(d -> d.getName().equals("vdisk.csi.dev")),
                "node-driver-registrar registered the driver with the kubelet");
    }

    @Test
    void whatOnePodWritesAnotherReadsAfterTheFirstIsDeleted() throws Exception {
        String claim = "data-" + id();
        user.claim(claim, null, false);
        assertSucceeded(user.run(
                "writer-" + claim,
                List.of(claim),
                List.of(),
                0,
                null,
                "echo written-by-" + claim + " > /" + claim + "/file && sync"));
        user.deletePod("writer-" + claim);
        assertSucceeded(user.run(
                "reader-" + claim,
                List.of(claim),
                List.of(),
                0,
                null,
                "grep -qx written-by-" + claim + " /" + claim + "/file"));
        user.deletePod("reader-" + claim);
        user.deleteClaims(claim);
    }

    @Test
    void aSnapshotsRestoreAndACloneHoldWhatThePodWrote() throws Exception {
        String origin = "origin-" + id();
        user.claim(origin, null, false);
        assertSucceeded(user.run(
                "writer-" + origin,
                List.of(origin),
                List.of(),
                0,
                null,
                "echo before-snapshot > /" + origin + "/file && sync"));
        // the writer is gone before the snapshot: nothing freezes a mounted file system here
        user.deletePod("writer-" + origin);
        user.snapshot("snap-" + origin, origin);
        user.claim("restored-" + origin, "VolumeSnapshot/snap-" + origin, false);
        user.claim("clone-" + origin, "PersistentVolumeClaim/" + origin, false);
        assertSucceeded(user.run(
                "reader-" + origin,
                List.of("restored-" + origin, "clone-" + origin),
                List.of(),
                0,
                null,
                "grep -qx before-snapshot /restored-" + origin + "/file" + " && grep -qx before-snapshot /clone-"
                        + origin + "/file"));
        user.deletePod("reader-" + origin);
        user.deleteClaims("restored-" + origin, "clone-" + origin);
        user.deleteSnapshot("snap-" + origin);
        user.deleteClaims(origin);
    }

    @Test
    void aRawBlockClaimIsADeviceInThePod() throws Exception {
        String claim = "block-" + id();
        user.claim(claim, null, true);
        assertSucceeded(user.run(
                "raw-" + claim,
                List.of(),
                List.of(claim),
                0,
                null,
                "test -b /dev/" + claim + " && echo raw-" + claim + " > /dev/" + claim + " && sync"
                        + " && head -c 15 /dev/" + claim + " | grep -q raw-" + claim.substring(0, 10)));
        user.deletePod("raw-" + claim);
        user.deleteClaims(claim);
    }

    @Test
    void fsGroupOwnsTheFileSystemForANonRootPod() throws Exception {
        String claim = "group-" + id();
        user.claim(claim, null, false);
        assertSucceeded(user.run(
                "fsgroup-" + claim,
                List.of(claim),
                List.of(),
                1000,
                2000L,
                "test \"$(stat -c %g /" + claim + ")\" = 2000 && echo ok > /" + claim + "/by-uid-1000"
                        + " && test \"$(stat -c %g /" + claim + "/by-uid-1000)\" = 2000"));
        user.deletePod("fsgroup-" + claim);
        user.deleteClaims(claim);
    }

    @Test
    void aCloneSplitByAnnotationWhileAPodReadsAndWritesIt() throws Exception {
        String origin = "split-" + id();
        String clone = "branch-" + origin;
        user.claim(origin, null, false);
        assertSucceeded(user.run(
                "writer-" + origin,
                List.of(origin),
                List.of(),
                0,
                null,
                "head -c 16777216 /dev/urandom > /" + origin + "/blob && md5sum /" + origin + "/blob | cut -c1-32"
                        + " > /" + origin + "/blob.md5 && sync"));
        user.deletePod("writer-" + origin);
        user.snapshot("snap-" + origin, origin);
        user.claim(clone, "VolumeSnapshot/snap-" + origin, false);
        // the application: checks the data and appends to the clone every half second; any failure ends it Failed
        String app = "app-" + origin;
        String dir = "/" + clone;
        Pod running = user.start(
                app,
                List.of(clone),
                "while true; do"
                        + " test \"$(md5sum " + dir + "/blob | cut -c1-32)\" = \"$(cat " + dir
                        + "/blob.md5)\" || exit 1;"
                        + " date +%s%N >> " + dir + "/log && sync " + dir + "/log || exit 2; sleep 0.5; done");
        assertEquals("Running", running.getStatus().getPhase(), "the application pod runs");
        user.annotate(clone, "vdisk.csi.dev/split", "copy");
        Map<?, ?> status = user.awaitSplit(clone + "-split");
        Pod after =
                node.admin().pods().inNamespace(USER_NAMESPACE).withName(app).get();
        assertEquals(
                "Running",
                after.getStatus().getPhase(),
                "the application kept running through the split " + status + ": "
                        + after.getStatus().getContainerStatuses());
        user.deletePod(app);
        user.deleteSnapshot("snap-" + origin);
        user.deleteClaims(origin);
        assertSucceeded(user.run(
                "reader-" + clone,
                List.of(clone),
                List.of(),
                0,
                null,
                "test \"$(md5sum " + dir + "/blob | cut -c1-32)\" = \"$(cat " + dir + "/blob.md5)\""
                        + " && test $(wc -l < " + dir + "/log) -ge 2"));
        user.deletePod("reader-" + clone);
        user.deleteClaims(clone);
    }

    /**
     * A driver upgrade restarts the node plugin under a running application. What the application sees is written
     * down (printed) rather than asserted; asserted: the chart's pods come back on the new image, and what was
     * written before the upgrade reads back afterwards from a new pod.
     */
    @Test
    void anUpgradeOfTheDriverImageRestartsTheNodePluginUnderAnApplication() throws Exception {
        String claim = "upgrade-" + id();
        user.claim(claim, null, false);
        String dir = "/" + claim;
        String app = "app-" + claim;
        Pod running = user.start(
                app,
                List.of(claim),
                "echo before-upgrade > " + dir + "/file && sync; i=0;"
                        + " while true; do i=$((i+1)); if echo $i >> " + dir + "/log && sync " + dir + "/log;"
                        + " then echo ok $i; else echo error $i; fi; sleep 0.5; done");
        assertEquals("Running", running.getStatus().getPhase(), "the application pod runs");
        Thread.sleep(3000);
        long start = System.nanoTime();
        node.upgradeDriverImage("e2e-upgrade");
        long upgradeSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        Thread.sleep(5000);
        Pod after =
                node.admin().pods().inNamespace(USER_NAMESPACE).withName(app).get();
        String seen = node.podLog(after, "app");
        // CRI log lines: "<time> stdout F ok 12"; the script prints one ok or error line per write
        long ok = seen.lines().filter(l -> l.matches(".* stdout F ok \\d+")).count();
        long errors =
                seen.lines().filter(l -> l.matches(".* stdout F error \\d+")).count();
        System.out.printf(
                "upgrade of the driver image: chart's pods ready on the new tag in %d s; the application"
                        + " pod is %s with %d writes ok and %d failed; first error message: %s; last line: %s%n",
                upgradeSeconds,
                after.getStatus().getPhase(),
                ok,
                errors,
                seen.lines().filter(l -> l.contains(" stderr ")).findFirst().orElse("none"),
                seen.lines().reduce((a, b) -> b).orElse(""));
        user.deletePod(app);
        assertSucceeded(user.run(
                "reader-" + claim, List.of(claim), List.of(), 0, null, "grep -qx before-upgrade " + dir + "/file"));
        user.deletePod("reader-" + claim);
        user.deleteClaims(claim);
    }

    /** Last: every test deleted its claims, so the node's pool holds no volume and no loop device is left. */
    @Test
    @Order(Integer.MAX_VALUE)
    void afterEveryClaimIsDeletedThePoolHoldsNoVolume() throws Exception {
        Pod agent = node.admin()
                .pods()
                .inNamespace(RealNode.NAMESPACE)
                .withLabel("app.kubernetes.io/component", "node")
                .list()
                .getItems()
                .getFirst();
        URI metrics = URI.create("http://" + agent.getStatus().getPodIP() + ":9811/metrics");
        String scraped;
        try (HttpClient http = HttpClient.newHttpClient()) {
            scraped = http.send(
                            HttpRequest.newBuilder(metrics)
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        }
        assertEquals(0.0, gauge(scraped, "vdisk_volumes"), "volumes in the pool (" + metrics + ")");
        assertEquals(0.0, gauge(scraped, "vdisk_loop_devices"), "loop devices of the node agent");
    }

    private static double gauge(String scraped, String name) {
        return scraped.lines()
                .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static String id() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static void assertSucceeded(Pod pod) {
        assertEquals(
                "Succeeded",
                pod.getStatus().getPhase(),
                "pod " + pod.getMetadata().getName() + " (its script checks the data): "
                        + pod.getStatus().getContainerStatuses());
    }
}
