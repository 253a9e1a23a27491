package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.VolumeCapability;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A PVC of the chart's class on a two-node cluster, from Pending to Bound, through the real external-provisioner
 * and the PV controller, and the kubelet's stage and publish on the node it landed on.
 */
@ExtendWith(RealClusterExtension.class)
@Order(1)
class ProvisioningIT {

    private static RealCluster cluster;
    private static Claims claims;

    @BeforeAll
    static void setUp(RealCluster shared) {
        cluster = shared;
        claims = new Claims(shared);
    }

    @Test
    void everyComponentRunsAgainstTheRealApiServer() {
        assertTrue(cluster.version().startsWith("v1.24"), cluster.version());
        for (ControllerPod pod : cluster.controllers()) {
            for (ChildProcess p : pod.processes()) {
                assertTrue(p.isAlive(), p.tail());
            }
        }
        for (DriverNode node : cluster.nodes()) {
            assertTrue(node.process().isAlive(), node.process().tail());
            assertNotNull(claims.vdisk("VdiskNode", node.name()).get(), "VdiskNode " + node.name() + " published");
        }
    }

    @Test
    void aClaimIsBoundToAVolumeTheDriverCreated() {
        claims.create("bound", "64Mi", "node-a", null, null);
        claims.awaitBound("bound");
        PersistentVolume pv = claims.pv("bound");
        assertEquals("vdisk.csi.dev", pv.getSpec().getCsi().getDriver());
        assertNotNull(
                claims.vdisk("VdiskVolume", pv.getSpec().getCsi().getVolumeHandle())
                        .get(),
                "VdiskVolume " + pv.getSpec().getCsi().getVolumeHandle());
        assertEquals(
                64L << 20,
                Quantity.getAmountInBytes(pv.getSpec().getCapacity().get("storage"))
                        .longValue());
    }

    /**
     * Names the provisioner never sends (upper case, '_', non-ASCII, 200 characters) still become objects the API
     * server accepts: before, such a name became {@code h_<sha>} and the server refused the VdiskVolume (422).
     */
    @Test
    void anyCsiNameBecomesAVolumeTheApiServerAccepts() {
        ControllerPod pod = cluster.controllers().stream()
                .filter(p -> p.processes().stream().allMatch(ChildProcess::isAlive))
                .findFirst()
                .orElseThrow();
        var controller = ControllerGrpc.newBlockingStub(pod.socket().channel());
        for (String name : List.of("PVC_Data", "vol-\u00dcber", "x".repeat(200))) {
            String id = controller
                    .createVolume(CreateVolumeRequest.newBuilder()
                            .setName(name)
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(16L << 20))
                            .addVolumeCapabilities(VolumeCapability.newBuilder()
                                    .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                                    .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                                            .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)))
                            .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                                    .addPreferred(
                                            Topology.newBuilder().putSegments("topology.vdisk.csi.dev/node", "node-a")))
                            .build())
                    .getVolume()
                    .getVolumeId();
            assertNotNull(claims.vdisk("VdiskVolume", id).get(), "VdiskVolume " + id + " for CSI name " + name);
            controller.deleteVolume(
                    DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        }
    }

    /**
     * Failed before its fix: without VOLUME_ACCESSIBILITY_CONSTRAINTS the provisioner sends no topology, the
     * volume lands on any node and its PV has no nodeAffinity.
     */
    @Test
    void aClaimLandsOnTheSelectedNodeAndItsVolumeCarriesThatNodesAffinity() {
        claims.create("affinity-b", "64Mi", "node-b", null, null);
        claims.awaitBound("affinity-b");
        PersistentVolume pv = claims.pv("affinity-b");
        GenericKubernetesResource volume = claims.vdisk(
                        "VdiskVolume", pv.getSpec().getCsi().getVolumeHandle())
                .get();
        assertEquals("node-b", ((Map<?, ?>) volume.getAdditionalProperties().get("spec")).get("nodeName"));
        assertNotNull(
                pv.getSpec().getNodeAffinity(),
                "PV " + pv.getMetadata().getName() + " has no nodeAffinity: the"
                        + " scheduler could start its pod on a node without the data");
        List<NodeSelectorRequirement> terms = pv.getSpec()
                .getNodeAffinity()
                .getRequired()
                .getNodeSelectorTerms()
                .getFirst()
                .getMatchExpressions();
        assertEquals(1, terms.size(), terms.toString());
        assertEquals("topology.vdisk.csi.dev/node", terms.getFirst().getKey());
        assertEquals(List.of("node-b"), terms.getFirst().getValues());
    }

    /**
     * Failed before its fix: provisioner v3.4.1 asks GetCapacity with access mode UNKNOWN; answered 0, every
     * CSIStorageCapacity is 0 and a scheduler would refuse every pod with a PVC of the class.
     */
    @Test
    void everyNodePublishesStorageCapacityForTheClass() {
        var capacities = cluster.admin()
                .genericKubernetesResources("storage.k8s.io/v1", "CSIStorageCapacity")
                .inNamespace(RealCluster.NAMESPACE);
        List<GenericKubernetesResource> seen = claims.await(
                "a CSIStorageCapacity above 0 per node",
                () -> capacities.list().getItems().stream()
                        .filter(c -> RealCluster.CLASS.equals(
                                c.getAdditionalProperties().get("storageClassName")))
                        .toList(),
                list -> list.size() == cluster.nodes().size() && list.stream().allMatch(c -> capacityBytes(c) > 0),
                "CSIStorageCapacity",
                "");
        assertEquals(cluster.nodes().size(), seen.size());
    }

    private static long capacityBytes(GenericKubernetesResource capacity) {
        Object value = capacity.getAdditionalProperties().get("capacity");
        return value == null
                ? 0
                : Quantity.getAmountInBytes(new Quantity(value.toString())).longValue();
    }

    @Test
    void dataWrittenByOnePodIsReadByTheNextOnTheSameNode() throws Exception {
        claims.create("data", "64Mi", "node-a", null, null);
        claims.awaitBound("data");
        PersistentVolume pv = claims.pv("data");
        DriverNode node = claims.nodeOf("data");
        Path mount = node.stageAndPublish(pv, "pod-writer");
        Files.writeString(mount.resolve("hello.txt"), "written through the real API server\n");
        node.unpublishAndUnstage(pv, "pod-writer");
        Path again = node.stageAndPublish(pv, "pod-reader");
        try {
            assertEquals("written through the real API server\n", Files.readString(again.resolve("hello.txt")));
        } finally {
            node.unpublishAndUnstage(pv, "pod-reader");
        }
    }

    @Test
    void expandingAClaimGrowsItsVolumeThroughTheResizer() {
        claims.create("grow", "64Mi", "node-b", null, null);
        claims.awaitBound("grow");
        claims.pvc("grow").edit(p -> new PersistentVolumeClaimBuilder(p)
                .editSpec()
                .editResources()
                .addToRequests("storage", new Quantity("128Mi"))
                .endResources()
                .endSpec()
                .build());
        PersistentVolume pv = claims.await(
                "PV of grow at 128Mi",
                () -> claims.pv("grow"),
                p -> Quantity.getAmountInBytes(p.getSpec().getCapacity().get("storage"))
                                .longValue()
                        >= 128L << 20,
                "PersistentVolumeClaim",
                "grow");
        GenericKubernetesResource volume = claims.vdisk(
                        "VdiskVolume", pv.getSpec().getCsi().getVolumeHandle())
                .get();
        assertEquals(
                128L << 20,
                ((Number) ((Map<?, ?>) volume.getAdditionalProperties().get("spec")).get("sizeBytes")).longValue());
    }
}
