package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.storage.VolumeAttributesClass;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The cluster-scoped objects users meet: the CSIDriver, the StorageClass and the snapshot and attribute classes. */
class ChartClassesTest {

    /** The parameters the controller understands (controller-plugin VolumeParameters), plus the provisioner's prefix. */
    static final Set<String> STORAGE_CLASS_PARAMETERS =
            Set.of("csi.storage.k8s.io/fstype", "splitOnClone", "maxChainDepth", "overprovisionRatio");
    /** The mutable parameters (controller-plugin MutableParameters). */
    static final Set<String> MUTABLE_PARAMETERS = Set.of("splitOnClone", "maxIops", "maxBytesPerSecond");

    @Test
    void csiDriverSaysWhatTheDriverDoes() {
        CSIDriver driver = Helm.find().render().one(CSIDriver.class, "vdisk.csi.dev");
        assertEquals(false, driver.getSpec().getAttachRequired(), "node-local: no ControllerPublish");
        assertEquals(true, driver.getSpec().getPodInfoOnMount());
        assertEquals("File", driver.getSpec().getFsGroupPolicy());
        assertEquals(true, driver.getSpec().getStorageCapacity(), "GetCapacity feeds CSIStorageCapacity");
        assertEquals(List.of("Persistent"), driver.getSpec().getVolumeLifecycleModes(), "no inline volumes");
        assertEquals(
                "other.example.com",
                Helm.find()
                        .render("--set", "driverName=other.example.com")
                        .all(CSIDriver.class)
                        .getFirst()
                        .getMetadata()
                        .getName());
    }

    @Test
    void storageClassWaitsForTheConsumerAndExpands() {
        Manifests chart = Helm.find().render();
        StorageClass sc = chart.one(StorageClass.class, "vdisk");
        assertEquals("vdisk.csi.dev", sc.getProvisioner());
        assertEquals("WaitForFirstConsumer", sc.getVolumeBindingMode(), "the scheduler picks the node first");
        assertEquals(true, sc.getAllowVolumeExpansion());
        assertEquals(
                Map.of("csi.storage.k8s.io/fstype", "ext4"), sc.getParameters(), "defaults set the file system only");
        assertTrue(
                sc.getMetadata().getAnnotations() == null
                        || sc.getMetadata().getAnnotations().isEmpty(),
                "not the default class unless asked");
        GenericKubernetesResource snapshots = chart.generic("snapshot.storage.k8s.io/v1", "VolumeSnapshotClass")
                .getFirst();
        assertEquals("vdisk.csi.dev", snapshots.get("driver"));
        assertEquals("Delete", snapshots.get("deletionPolicy"));
        assertTrue(
                chart.generic("groupsnapshot.storage.k8s.io/v1beta2", "VolumeGroupSnapshotClass")
                        .isEmpty(),
                "opt-in");
        assertTrue(chart.all(VolumeAttributesClass.class).isEmpty(), "opt-in");
    }

    @Test
    void everyParameterTheChartCanSetIsOneTheControllerKnows() {
        Manifests chart = Helm.find()
                .render(
                        "-f",
                        Helm.chart().resolve("ci/all-features-values.yaml").toString());
        StorageClass sc = chart.one(StorageClass.class, "vdisk");
        assertEquals(STORAGE_CLASS_PARAMETERS, sc.getParameters().keySet());
        assertEquals(
                Map.of(
                        "csi.storage.k8s.io/fstype",
                        "xfs",
                        "splitOnClone",
                        "share",
                        "maxChainDepth",
                        "8",
                        "overprovisionRatio",
                        "2.5"),
                sc.getParameters());
        assertEquals("true", sc.getMetadata().getAnnotations().get("storageclass.kubernetes.io/is-default-class"));
        VolumeAttributesClass vac = chart.one(VolumeAttributesClass.class, "vdisk-limited");
        assertEquals("vdisk.csi.dev", vac.getDriverName());
        assertTrue(
                MUTABLE_PARAMETERS.containsAll(vac.getParameters().keySet()),
                vac.getParameters().toString());
        GenericKubernetesResource group = chart.generic(
                        "groupsnapshot.storage.k8s.io/v1beta2", "VolumeGroupSnapshotClass")
                .getFirst();
        assertEquals("vdisk.csi.dev", group.get("driver"));
    }
}
