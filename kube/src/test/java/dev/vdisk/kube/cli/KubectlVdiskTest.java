package dev.vdisk.kube.cli;

import static dev.vdisk.kube.split.SplitFixture.NS;
import static dev.vdisk.kube.split.SplitFixture.await;
import static dev.vdisk.kube.split.SplitFixture.progress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.access.Component;
import dev.vdisk.kube.access.RecordedAccess;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestSpec;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.split.SplitFixture;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code kubectl vdisk} against the mock API server: output and exit codes of split, status and tree. */
@EnableKubernetesMockClient(crud = true)
class KubectlVdiskTest {

    KubernetesMockServer server;
    KubernetesClient client;
    SplitFixture fx;

    /** The outcome of one plugin run. */
    record Result(int exit, String out, String err) {}

    @BeforeEach
    void setUp() {
        fx = new SplitFixture(server, client);
        fx.volume("vol-src", null);
        fx.boundPvc("src", "vol-src", SplitFixture.DRIVER);
        fx.snapshot("snap-1", "vol-src");
        fx.volume("vol-db", "snap-1");
        fx.boundPvc("db", "vol-db", SplitFixture.DRIVER);
        fx.volume("vol-web", "snap-1");
        fx.boundPvc("web", "vol-web", SplitFixture.DRIVER);
        fx.volume("vol-orphan", "snap-gone"); // reads through a snapshot whose VolumeSnapshot was deleted
        fx.boundPvc("orphan", "vol-orphan", SplitFixture.DRIVER);
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    /** Runs the plugin in-process with a client of the mock server, as the kubeconfig would give it. */
    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = KubectlVdisk.run(
                args,
                () -> new KubernetesClientBuilder()
                        .withConfig(client.getConfiguration())
                        .build(),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false,
                Duration.ofMillis(20));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpDocumentsTheExitCodes() {
        Result r = run("--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("kubectl vdisk split PVC [--mode share|copy] [--rate 200MiB/s]"), r.out());
        assertTrue(r.out().contains("Exit codes:") && r.out().contains("3  the PVC does not exist"), r.out());
        r = run("split", "--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("--rate=RATE") && r.out().contains("--namespace=NAMESPACE"), r.out());
    }

    @Test
    void usageErrorsExit2() {
        for (List<String> args : List.of(
                List.<String>of(),
                List.of("frobnicate", "db"),
                List.of("split"),
                List.of("split", "a", "b"),
                List.of("split", "db", "--mode", "deep"),
                List.of("split", "db", "--rate", "fast"),
                List.of("status", "db", "--wait"),
                List.of("split", "db", "-n"),
                List.of("tree", "db", "--colour"))) {
            Result r = run(args.toArray(String[]::new));
            assertEquals(2, r.exit(), args + ": " + r);
            assertTrue(
                    r.err().startsWith("kubectl vdisk")
                            && r.err().contains(" --help)\n")
                            && r.err().lines().count() == 1,
                    args + ": " + r);
            assertEquals("", r.out(), args.toString());
        }
        assertEquals(
                "kubectl vdisk split: --mode must be share or copy, not 'deep' (see kubectl vdisk split --help)\n",
                run("split", "db", "--mode", "deep").err());
        assertEquals(
                "kubectl vdisk: missing command; use split, status or tree (see kubectl vdisk --help)\n", run().err());
        assertTrue(run("split", "db", "--rate", "fast")
                .err()
                .startsWith("kubectl vdisk split: Invalid value for option '--rate': 'fast' is not a rate"));
    }

    @Test
    void splitCreatesARequest() {
        RecordedAccess.drain(server);
        Result r = run("split", "db", "--mode", "copy", "--rate", "200MiB/s", "-n", NS);
        Set<RecordedAccess.Access> seen = RecordedAccess.assertDeclared(server, Component.KUBECTL_PLUGIN);
        assertTrue(
                seen.contains(new RecordedAccess.Access("vdisk.csi.dev", "splitrequests", "create")), seen.toString());
        assertEquals(0, r.exit(), r.toString());
        List<SplitRequest> requests = fx.call(() ->
                client.resources(SplitRequest.class).inNamespace(NS).list().getItems());
        assertEquals(1, requests.size());
        SplitRequest created = requests.getFirst();
        assertEquals(new SplitRequestSpec("db", "copy", 200L << 20), created.getSpec());
        assertTrue(
                created.getMetadata().getName().matches("db-split-[a-z0-9]{5}"),
                created.getMetadata().getName());
        assertTrue(
                r.out()
                        .startsWith("splitrequest.vdisk.csi.dev/"
                                + created.getMetadata().getName()
                                + " created (copy split of PVC team-a/db, at most 200.0 MiB/s)"),
                r.out());
    }

    @Test
    void splitOfAMissingPvcExits3() {
        Result r = run("split", "nope", "-n", NS);
        assertEquals(3, r.exit());
        assertEquals("error: PVC team-a/nope not found\n", r.err());
        assertTrue(fx.call(() -> client.resources(SplitRequest.class)
                        .inNamespace(NS)
                        .list()
                        .getItems())
                .isEmpty());
    }

    @Test
    void splitWaitShowsProgressUntilSucceeded() throws Exception {
        fx.startController();
        CompletableFuture<Result> plugin =
                CompletableFuture.supplyAsync(() -> run("split", "db", "--mode", "copy", "-n", NS, "--wait"));
        await(
                "spec.split set",
                () -> fx.vdiskVolume("vol-db").getSpec().split() != null,
                () -> fx.vdiskVolume("vol-db"));
        fx.report("vol-db", progress("copy", "FILLING", 50, 5L << 20));
        await(
                "plugin saw 50%",
                // the controller writes the request's first status a moment after it takes the request
                () -> fx.call(() -> client.resources(SplitRequest.class).inNamespace(NS).list().getItems().stream()
                        .anyMatch(q -> q.getStatus() != null && q.getStatus().percent() == 50)),
                () -> "");
        fx.run(() -> sleep(200));
        fx.report("vol-db", progress("copy", "DONE", 100, 10L << 20));
        Result r = plugin.get();
        assertEquals(0, r.exit(), r.toString());
        assertTrue(
                r.out().contains("[###############---------------]  50% Running   5.0 MiB  4.0 MiB/s  ETA 0:12"),
                r.out());
        assertTrue(r.out().contains("[##############################] 100% Succeeded 10.0 MiB"), r.out());
        assertTrue(
                r.out()
                        .endsWith("split of volume vol-db succeeded: 10.0 MiB relocated; the PVC no longer depends"
                                + " on any snapshot\n"),
                r.out());
    }

    @Test
    void splitWaitOfAFailingSplitExits1WithTheReason() throws Exception {
        fx.startController();
        Result r = run("split", "src", "-n", NS, "--wait"); // src reads through no snapshot
        assertEquals(1, r.exit(), r.toString());
        assertTrue(
                r.err()
                        .startsWith("error: split failed: NotAClone: volume vol-src of PVC team-a/src reads "
                                + "through no snapshot"),
                r.err());
    }

    @Test
    void statusShowsVolumeNodeSizeBackingAndSplit() {
        fx.run(() -> client.resources(VdiskVolume.class).withName("vol-db").edit(v -> {
            v.getSpec();
            return v;
        }));
        fx.report("vol-db", progress("copy", "FILLING", 40, 4L << 20));
        RecordedAccess.drain(server);
        Result r = run("status", "db", "-n", NS);
        RecordedAccess.assertDeclared(server, Component.KUBECTL_PLUGIN);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("""
                PVC:       team-a/db
                Volume:    vol-db (PV pv-db)
                Node:      node-a
                Phase:     Ready
                Size:      1.0 GiB
                Allocated: 1.0 MiB (512.0 KiB of it read through the backing snapshot)
                Backing:   snap-1 (snapshot of volume vol-src), chain depth 1
                Split:     copy FILLING 40%, 4.0 MiB relocated, 4.0 MiB/s, ETA 0:15, started 2026-11-22T07:00:00Z
                """, r.out());

        Result hidden = run("status", "orphan", "-n", NS);
        assertTrue(
                hidden.out()
                        .contains("Backing:   snap-gone (hidden: its snapshot was deleted, the data is kept for "
                                + "the volumes that read through it), chain depth 1"),
                hidden.out());
        assertTrue(hidden.out().contains("Split:     none"), hidden.out());
    }

    @Test
    void statusOfAPvcOfAnotherDriverExits3() {
        fx.boundPvc("nfs", "nfs-server:/export", "nfs.csi.k8s.io");
        Result r = run("status", "nfs", "-n", NS);
        assertEquals(3, r.exit());
        assertTrue(r.err().contains("is not a vdisk-csi volume"), r.err());
        assertEquals(3, run("tree", "missing", "-n", NS).exit());
    }

    @Test
    void treeShowsLineageAndHiddenSnapshots() {
        RecordedAccess.drain(server);
        Result r = run("tree", "db", "-n", NS);
        RecordedAccess.assertDeclared(server, Component.KUBECTL_PLUGIN);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("""
                PVC team-a/db (volume vol-db) reads through snapshot snap-1
                volume vol-src  PVC team-a/src  1.0 MiB allocated  on node-a
                └── snapshot snap-1  1.0 GiB  2 clones
                    ├── volume vol-db  PVC team-a/db  1.0 MiB allocated  on node-a  <- this PVC
                    └── volume vol-web  PVC team-a/web  1.0 MiB allocated  on node-a
                """, r.out());

        Result hidden = run("tree", "orphan", "-n", NS);
        assertEquals("""
                PVC team-a/orphan (volume vol-orphan) reads through snapshot snap-gone (hidden)
                snapshot snap-gone  (hidden: deleted, kept for 1 dependent)
                └── volume vol-orphan  PVC team-a/orphan  1.0 MiB allocated  on node-a  <- this PVC
                """, hidden.out());
    }

    @Test
    void namespaceDefaultsToTheKubeconfigContext() {
        Result r = run("status", "db");
        assertEquals(3, r.exit());
        assertEquals("error: PVC " + client.getNamespace() + "/db not found\n", r.err());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
