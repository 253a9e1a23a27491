package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.GetMetadataAllocatedRequest;
import csi.v1.GetMetadataAllocatedResponse;
import csi.v1.SnapshotMetadataGrpc;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Snapshots through the real snapshot controller and csi-snapshotter, restores and clones through the
 * provisioner, the changed-block metadata of a snapshot (the node agent checks the controller's token with a real
 * TokenReview) and deleting a snapshot that restored volumes still read through. The methods build on each other.
 */
@ExtendWith(RealClusterExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(2)
class SnapshotIT {

    private static final String CONTENT = "the origin's data\n";

    private static RealCluster cluster;
    private static Claims claims;

    @BeforeAll
    static void setUp(RealCluster shared) throws Exception {
        cluster = shared;
        claims = new Claims(shared);
        claims.create("origin", "64Mi", "node-a", null, null);
        claims.awaitBound("origin");
        PersistentVolume pv = claims.pv("origin");
        DriverNode node = claims.nodeOf("origin");
        Path mount = node.stageAndPublish(pv, "pod-origin");
        Files.writeString(mount.resolve("data.txt"), CONTENT);
        // unmounted before the snapshot: nothing freezes the file system here
        node.unpublishAndUnstage(pv, "pod-origin");
    }

    @Test
    @Order(1)
    void aVolumeSnapshotBecomesReadyToUse() {
        claims.snapshot("origin-snap", "origin");
        Map<String, Object> status = Claims.status(claims.awaitReadyToUse("origin-snap"));
        String content = (String) status.get("boundVolumeSnapshotContentName");
        assertNotNull(content, status.toString());
        String handle = snapshotHandle(content);
        assertNotNull(claims.vdisk("VdiskSnapshot", handle).get(), "VdiskSnapshot " + handle);
    }

    @Test
    @Order(2)
    void theSnapshotsAllocatedBlocksAreServedAfterARealTokenReview() {
        String handle = snapshotHandle((String)
                Claims.status(claims.volumeSnapshot("origin-snap").get()).get("boundVolumeSnapshotContentName"));
        long reviewsBefore = tokenReviewsByNodes();
        SnapshotMetadataGrpc.SnapshotMetadataBlockingStub metadata = SnapshotMetadataGrpc.newBlockingStub(
                        cluster.controllers().getFirst().socket().channel())
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        long allocated = 0;
        Iterator<GetMetadataAllocatedResponse> answers = metadata.getMetadataAllocated(
                GetMetadataAllocatedRequest.newBuilder().setSnapshotId(handle).build());
        while (answers.hasNext()) {
            GetMetadataAllocatedResponse answer = answers.next();
            assertEquals(64L << 20, answer.getVolumeCapacityBytes());
            allocated += answer.getBlockMetadataList().stream()
                    .mapToLong(b -> b.getSizeBytes())
                    .sum();
        }
        assertTrue(allocated > 0, "the snapshot of a volume with a file system has allocated blocks");
        assertTrue(
                tokenReviewsByNodes() > reviewsBefore,
                "the node agent checked the controller's token with a" + " TokenReview answered 201");
    }

    @Test
    @Order(3)
    void aClaimRestoredFromTheSnapshotHoldsItsData() throws Exception {
        claims.create("restored", "64Mi", "node-a", "VolumeSnapshot", "origin-snap");
        claims.awaitBound("restored");
        assertEquals(CONTENT, claims.readData("restored"));
    }

    /** Failed before its fix: a PVC clone made a VdiskSnapshot named clonesrc_..., which the API refuses (422). */
    @Test
    @Order(4)
    void aCloneOfTheClaimHoldsItsData() throws Exception {
        claims.create("cloned", "64Mi", "node-a", "PersistentVolumeClaim", "origin");
        try {
            claims.awaitBound("cloned");
            assertEquals(CONTENT, claims.readData("cloned"));
        } finally {
            // a pending clone keeps the provisioner's cloning-protection finalizer on the origin
            claims.pvc("cloned").delete();
        }
    }

    @Test
    @Order(5)
    void deletingTheSnapshotAndTheOriginLeavesTheRestoredClaimReadable() throws Exception {
        String content = (String)
                Claims.status(claims.volumeSnapshot("origin-snap").get()).get("boundVolumeSnapshotContentName");
        claims.volumeSnapshot("origin-snap").delete();
        claims.await(
                "VolumeSnapshot origin-snap gone",
                () -> claims.volumeSnapshot("origin-snap").get(),
                s -> s == null,
                "VolumeSnapshot",
                "origin-snap");
        claims.await(
                "VolumeSnapshotContent " + content + " gone",
                () -> cluster.admin()
                        .genericKubernetesResources("snapshot.storage.k8s.io/v1", "VolumeSnapshotContent")
                        .withName(content)
                        .get(),
                c -> c == null,
                "VolumeSnapshot",
                "origin-snap");
        String originPv = claims.pv("origin").getMetadata().getName();
        claims.pvc("origin").delete();
        claims.await(
                "PV " + originPv + " gone",
                () -> cluster.admin().persistentVolumes().withName(originPv).get(),
                pv -> pv == null,
                "PersistentVolumeClaim",
                "origin");
        assertNull(claims.pvc("origin").get());
        assertEquals(CONTENT, claims.readData("restored"));
    }

    private static String snapshotHandle(String contentName) {
        var content = cluster.admin()
                .genericKubernetesResources("snapshot.storage.k8s.io/v1", "VolumeSnapshotContent")
                .withName(contentName)
                .get();
        return (String) Claims.status(content).get("snapshotHandle");
    }

    private static long tokenReviewsByNodes() {
        try {
            return AuditLog.read(cluster.plane().auditLog()).requests().stream()
                    .filter(r -> r.user().equals("system:serviceaccount:vdisk-system:vdisk-csi-node"))
                    .filter(r -> r.uri().startsWith("/apis/authentication.k8s.io/v1/tokenreviews") && r.code() == 201)
                    .count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
