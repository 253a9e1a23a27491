package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.storage.CSINode;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
     * The README's {@code helm upgrade --reuse-values --set image.tag} restarts the node plugin (and the controller)
     * under a running application; with the chart's descriptor holder the application sees no error and loses no
     * acknowledged write.
     */
    @Test
    void anUpgradeOfTheDriverImageKeepsAnApplicationsWrites() throws Exception {
        writesThrough("upgrade", () -> node.upgradeDriverImage("e2e-upgrade"));
    }

    /** {@code kubectl delete pod} of the node plugin's pod under a running application: as for an upgrade. */
    @Test
    void aRestartOfTheNodePluginPodKeepsAnApplicationsWrites() throws Exception {
        writesThrough("restart", () -> {
            Pod successor = node.restartNodePlugin();
            assertTrue(RealNode.ready(successor), "the node plugin's new pod is ready");
        });
    }

    /**
     * Runs {@code disruption} while an application appends to a new claim every half second, then asserts that the
     * application still runs, none of its writes failed, and a new pod reads every write it had acknowledged.
     */
    private static void writesThrough(String name, Disruption disruption) throws Exception {
        String claim = name + "-" + id();
        user.claim(claim, null, false);
        String file = "/" + claim + "/log";
        String app = "app-" + claim;
        Pod running = user.start(app, List.of(claim), WriterLog.script(file));
        assertEquals("Running", running.getStatus().getPhase(), "the application pod runs");
        Thread.sleep(3000);
        long start = System.nanoTime();
        disruption.run();
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        Thread.sleep(5000);
        Pod after =
                node.admin().pods().inNamespace(USER_NAMESPACE).withName(app).get();
        WriterLog seen = WriterLog.parse(node.podLog(after, "app"));
        String phase = after.getStatus().getPhase();
        System.out.printf(
                "%s of the node plugin under an application: chart's pods ready again in %d s; the application"
                        + " pod is %s: %s%n",
                name, seconds, phase, seen);
        user.deletePod(app);
        assertSucceeded(user.run("reader-" + claim, List.of(claim), List.of(), 0, null, seen.readerCheck(file)));
        user.deletePod("reader-" + claim);
        user.deleteClaims(claim);
        assertEquals("Running", phase, "the application through the " + name + ": " + seen);
        assertEquals(0, seen.errors(), "failed writes through the " + name + ": " + seen);
        assertTrue(seen.ok() >= 10, "the application wrote through the " + name + ": " + seen);
    }

    @FunctionalInterface
    private interface Disruption {
        void run() throws Exception;
    }

    /** Last: every test deleted its claims, so the node's pool holds no volume and no loop device is left. */
    @Test
    @Order(Integer.MAX_VALUE - 1)
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

    /**
     * Last: the README's uninstall (the driver's workloads first, then {@code helm uninstall}) lets the node plugin
     * and the controller stop while their RBAC exists: none of their requests is refused (403) meanwhile, and no pod
     * of the chart is left.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void theReadmesUninstallStopsTheDriverBeforeItsRbacGoes() throws Exception {
        Map<String, Integer> before = driverRefusals();
        node.uninstall();
        Map<String, Integer> after = driverRefusals();
        assertEquals(
                before, after, "requests of the chart's service accounts answered 403 (before, after the uninstall)");
        assertEquals(
                List.of(),
                node.admin().pods().inNamespace(RealNode.NAMESPACE).list().getItems().stream()
                        .map(p -> p.getMetadata().getName())
                        .toList(),
                "the chart's pods left after helm uninstall");
    }

    /** How many requests of each of the chart's service accounts the API server refused (403) so far. */
    private static Map<String, Integer> driverRefusals() throws IOException {
        Map<String, Integer> refused = new TreeMap<>();
        AuditLog.read(node.auditLog()).answered(403).forEach((user, requests) -> {
            if (user.startsWith("system:serviceaccount:" + RealNode.NAMESPACE + ":")) {
                refused.put(user, requests.size());
            }
        });
        return refused;
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
