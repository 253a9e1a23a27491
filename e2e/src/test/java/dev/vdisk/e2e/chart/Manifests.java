package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A stream of YAML documents (helm's output, an example file) read into fabric8's typed model: a kind fabric8 knows
 * becomes its class (Deployment, ClusterRole, CSIDriver, ...), any other a {@link GenericKubernetesResource}.
 */
public record Manifests(List<HasMetadata> objects) {

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Pattern SEPARATOR = Pattern.compile("(?m)^---[ \\t]*$");

    public static Manifests parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : SEPARATOR.split(yaml)) {
            if (document.lines()
                    .allMatch(line -> line.isBlank() || line.stripLeading().startsWith("#"))) {
                continue;
            }
            KubernetesResource resource = SERIALIZATION.unmarshal(document, KubernetesResource.class);
            if (!(resource instanceof HasMetadata object) || object.getKind() == null) {
                fail("not a Kubernetes object:\n" + document);
                throw new AssertionError();
            }
            objects.add(object);
        }
        return new Manifests(List.copyOf(objects));
    }

    public <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    public <T extends HasMetadata> T one(Class<T> type, String name) {
        List<T> found = all(type).stream()
                .filter(o -> name.equals(o.getMetadata().getName()))
                .toList();
        assertEquals(1, found.size(), () -> "one " + type.getSimpleName() + " named " + name + " in " + names());
        return found.getFirst();
    }

    /** Objects of a kind fabric8 has no class for here (VolumeSnapshotClass, SnapshotMetadataService, ...). */
    List<GenericKubernetesResource> generic(String apiVersion, String kind) {
        return all(GenericKubernetesResource.class).stream()
                .filter(o -> apiVersion.equals(o.getApiVersion()) && kind.equals(o.getKind()))
                .toList();
    }

    List<String> names() {
        return objects.stream()
                .map(o -> o.getKind() + "/" + o.getMetadata().getName())
                .toList();
    }
}
