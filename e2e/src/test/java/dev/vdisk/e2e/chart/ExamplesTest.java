package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.SplitRequest;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.TypedLocalObjectReference;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every manifest in examples/ reads as its typed object, refers only to classes the chart creates and to objects the
 * examples define, and uses the driver's keys (split annotation, SplitRequest fields) as the code spells them.
 */
class ExamplesTest {

    private static final Map<Path, Manifests> EXAMPLES = new TreeMap<>();
    private static List<HasMetadata> all;

    @BeforeAll
    static void parse() throws IOException {
        try (Stream<Path> files = Files.list(Helm.repoRoot().resolve("examples"))) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                String text = Files.readString(file);
                assertTrue(text.startsWith("#"), file + " starts with a comment saying what it shows");
                EXAMPLES.put(file, Manifests.parse(text));
            }
        }
        assertTrue(EXAMPLES.size() >= 8, "the examples are there: " + EXAMPLES.keySet());
        all = EXAMPLES.values().stream().flatMap(m -> m.objects().stream()).toList();
    }

    @Test
    void claimsUseTheChartsStorageClassAndSingleNodeAccess() {
        String chartClass = Helm.find()
                .render()
                .all(StorageClass.class)
                .getFirst()
                .getMetadata()
                .getName();
        List<PersistentVolumeClaim> claims = ofType(PersistentVolumeClaim.class);
        assertTrue(claims.size() >= 5, "PVC, restore, clone, split, group members");
        for (PersistentVolumeClaim claim : claims) {
            assertEquals(
                    chartClass,
                    claim.getSpec().getStorageClassName(),
                    claim.getMetadata().getName());
            assertTrue(
                    Set.of("ReadWriteOnce", "ReadWriteOncePod")
                            .containsAll(claim.getSpec().getAccessModes()),
                    "vdisk volumes are single-node: " + claim.getMetadata().getName());
            TypedLocalObjectReference source = claim.getSpec().getDataSource();
            if (source != null) {
                assertTrue(
                        defines(source.getKind(), source.getName()),
                        claim.getMetadata().getName() + " clones " + source.getKind() + " " + source.getName()
                                + ", which the examples define");
            }
        }
    }

    @Test
    void podsUseClaimsTheExamplesDefine() {
        for (Pod pod : ofType(Pod.class)) {
            for (Volume volume : pod.getSpec().getVolumes()) {
                assertNotNull(
                        volume.getPersistentVolumeClaim(), pod.getMetadata().getName());
                assertTrue(defines(
                        "PersistentVolumeClaim",
                        volume.getPersistentVolumeClaim().getClaimName()));
            }
        }
    }

    @Test
    void snapshotsNameTheChartsClassesAndExistingSources() {
        Manifests chart = Helm.find()
                .render(
                        "-f",
                        Helm.chart().resolve("ci/all-features-values.yaml").toString());
        String snapshotClass = chart.generic("snapshot.storage.k8s.io/v1", "VolumeSnapshotClass")
                .getFirst()
                .getMetadata()
                .getName();
        String groupClass = chart.generic("groupsnapshot.storage.k8s.io/v1beta2", "VolumeGroupSnapshotClass")
                .getFirst()
                .getMetadata()
                .getName();
        List<GenericKubernetesResource> snapshots = generic("snapshot.storage.k8s.io/v1", "VolumeSnapshot");
        assertFalse(snapshots.isEmpty());
        for (GenericKubernetesResource snapshot : snapshots) {
            assertEquals(snapshotClass, snapshot.get("spec", "volumeSnapshotClassName"));
            assertTrue(defines("PersistentVolumeClaim", snapshot.get("spec", "source", "persistentVolumeClaimName")));
        }
        GenericKubernetesResource group = generic("groupsnapshot.storage.k8s.io/v1beta2", "VolumeGroupSnapshot")
                .getFirst();
        assertEquals(groupClass, group.get("spec", "volumeGroupSnapshotClassName"));
        Map<String, String> selector = group.get("spec", "source", "selector", "matchLabels");
        long members = ofType(PersistentVolumeClaim.class).stream()
                .filter(c -> c.getMetadata().getLabels() != null
                        && c.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                .count();
        assertEquals(2, members, "the group snapshot's selector picks the two db volumes");
    }

    @Test
    void splitsUseTheDriversAnnotationAndResource() {
        List<PersistentVolumeClaim> annotated = ofType(PersistentVolumeClaim.class).stream()
                .filter(c -> c.getMetadata().getAnnotations() != null
                        && c.getMetadata().getAnnotations().containsKey(ResourceKeys.SPLIT_ANNOTATION))
                .toList();
        assertEquals(1, annotated.size());
        assertTrue(Set.of("share", "copy")
                .contains(annotated.getFirst().getMetadata().getAnnotations().get(ResourceKeys.SPLIT_ANNOTATION)));
        assertNotNull(annotated.getFirst().getSpec().getDataSource(), "only a clone can be split");
        HasMetadata request = all.stream()
                .filter(o -> o.getKind().equals("SplitRequest"))
                .findFirst()
                .orElseThrow();
        assertEquals(ResourceKeys.GROUP + "/" + ResourceKeys.VERSION, request.getApiVersion());
        // read as the kube module's own class: the fields must be the ones the controller reads
        SplitRequest typed = request instanceof SplitRequest s
                ? s
                : Manifests.SERIALIZATION.convertValue(request, SplitRequest.class);
        assertTrue(Set.of("share", "copy").contains(typed.getSpec().mode()));
        assertTrue(
                defines("PersistentVolumeClaim", typed.getSpec().pvcName()),
                typed.getSpec().pvcName());
        PersistentVolumeClaim target = ofType(PersistentVolumeClaim.class).stream()
                .filter(c -> c.getMetadata().getName().equals(typed.getSpec().pvcName()))
                .findFirst()
                .orElseThrow();
        assertNotNull(target.getSpec().getDataSource(), "the split request names a clone");
        assertTrue(typed.getSpec().rateBytesPerSecond() > 0);
    }

    private static boolean defines(String kind, String name) {
        return all.stream()
                .anyMatch(o ->
                        o.getKind().equals(kind) && o.getMetadata().getName().equals(name));
    }

    private static <T extends HasMetadata> List<T> ofType(Class<T> type) {
        List<T> out = new ArrayList<>();
        EXAMPLES.values().forEach(m -> out.addAll(m.all(type)));
        return out;
    }

    private static List<GenericKubernetesResource> generic(String apiVersion, String kind) {
        List<GenericKubernetesResource> out = new ArrayList<>();
        EXAMPLES.values().forEach(m -> out.addAll(m.generic(apiVersion, kind)));
        return out;
    }
}
