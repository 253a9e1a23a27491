package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The three ways a user splits a clone (here volumes restored from one snapshot): the PVC annotation, a
 * SplitRequest, and {@code bin/kubectl-vdisk} against the real API server, all as a user who has only the
 * namespace's edit role and the chart's viewer role; the elected controller carries each out.
 */
@ExtendWith(RealClusterExtension.class)
@Order(3)
class SplitIT {

    static final String CONTENT = "shared with the snapshot until split\n";

    private static RealCluster cluster;
    private static Claims claims;

    @BeforeAll
    static void setUp(RealCluster shared) throws Exception {
        cluster = shared;
        claims = new Claims(shared);
        originWithSnapshot(claims, "split-origin", "split-snap");
    }

    /** A PVC with a file on it and a ready snapshot of it, for clones to read through. */
    static void originWithSnapshot(Claims claims, String pvc, String snapshot) throws Exception {
        claims.create(pvc, "64Mi", "node-a", null, null);
        claims.awaitBound(pvc);
        PersistentVolume pv = claims.pv(pvc);
        DriverNode node = claims.nodeOf(pvc);
        Path mount = node.stageAndPublish(pv, "pod-" + pvc);
        Files.writeString(mount.resolve("data.txt"), CONTENT);
        node.unpublishAndUnstage(pv, "pod-" + pvc);
        claims.snapshot(snapshot, pvc);
        claims.awaitReadyToUse(snapshot);
    }

    static GenericKubernetesResource awaitSplit(Claims claims, String request, String pvc) {
        var requests = claims.user()
                .genericKubernetesResources("vdisk.csi.dev/v1alpha1", "SplitRequest")
                .inNamespace(RealCluster.USER_NAMESPACE);
        return claims.await(
                "SplitRequest " + request + " Succeeded",
                () -> requests.withName(request).get(),
                r -> r != null && "Succeeded".equals(Claims.status(r).get("phase")),
                "PersistentVolumeClaim",
                pvc);
    }

    @Test
    void annotatingAClaimSplitsItAndRecordsEvents() throws Exception {
        claims.create("split-annotated", "64Mi", "node-a", "VolumeSnapshot", "split-snap");
        claims.awaitBound("split-annotated");
        claims.pvc("split-annotated").edit(p -> new PersistentVolumeClaimBuilder(p)
                .editMetadata()
                .addToAnnotations("vdisk.csi.dev/split", "copy")
                .endMetadata()
                .build());
        awaitSplit(claims, "split-annotated-split", "split-annotated");
        claims.await(
                "event SplitCompleted",
                () -> claims.events("PersistentVolumeClaim", "split-annotated"),
                e -> e.contains("SplitCompleted"),
                "PersistentVolumeClaim",
                "split-annotated");
        assertEquals(CONTENT, claims.readData("split-annotated"));
    }

    @Test
    void aSplitRequestFromTheUserSucceeds() throws Exception {
        claims.create("split-requested", "64Mi", "node-a", "VolumeSnapshot", "split-snap");
        claims.awaitBound("split-requested");
        claims.requestSplit("by-request", "split-requested", "share");
        GenericKubernetesResource done = awaitSplit(claims, "by-request", "split-requested");
        assertEquals(
                100,
                ((Number) Claims.status(done).get("percent")).intValue(),
                Claims.status(done).toString());
        assertEquals(CONTENT, claims.readData("split-requested"));
    }

    @Test
    void theKubectlPluginSplitsAndShowsStatusWithTheUsersOwnRights() throws Exception {
        claims.create("split-plugin", "64Mi", "node-a", "VolumeSnapshot", "split-snap");
        claims.awaitBound("split-plugin");
        Plugin split = plugin("split", "split-plugin", "--mode", "share", "--wait");
        assertEquals(0, split.exitCode(), split.output());
        Plugin status = plugin("status", "split-plugin");
        assertEquals(0, status.exitCode(), status.output());
        String handle = claims.pv("split-plugin").getSpec().getCsi().getVolumeHandle();
        assertTrue(status.output().contains(handle), "status names the volume " + handle + ":\n" + status.output());
        Plugin tree = plugin("tree", "split-origin");
        assertEquals(0, tree.exitCode(), tree.output());
        assertEquals(CONTENT, claims.readData("split-plugin"));
    }

    record Plugin(int exitCode, String output) {}

    /** {@code bin/kubectl-vdisk} with the user's kubeconfig, as kubectl runs a plugin. */
    static Plugin plugin(String... args) throws Exception {
        List<String> command = new ArrayList<>(
                List.of(RealCluster.REPO.resolve("bin/kubectl-vdisk").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("-n", RealCluster.USER_NAMESPACE));
        Path out = Files.createTempFile(cluster.dir(), "kubectl-vdisk", ".txt");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        builder.environment().put("KUBECONFIG", cluster.userKubeconfig().toString());
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            return new Plugin(-1, "timed out after 120 s: " + Files.readString(out));
        }
        return new Plugin(process.exitValue(), Files.readString(out));
    }
}
