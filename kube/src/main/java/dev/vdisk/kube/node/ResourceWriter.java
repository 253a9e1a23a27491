package dev.vdisk.kube.node;

import dev.vdisk.kube.resource.ResourceKeys;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.List;

/**
 * The node agent's writes to its cluster-scoped resources: its finalizer ({@code patch} of the object) and status
 * ({@code patch} of the status subresource that carries only the new status, so that nothing else the agent read,
 * possibly stale, is written back).
 */
final class ResourceWriter {

    private final KubernetesClient client;

    ResourceWriter(KubernetesClient client) {
        this.client = client;
    }

    static boolean hasFinalizer(CustomResource<?, ?> r) {
        return r.getMetadata().getFinalizers() != null
                && r.getMetadata().getFinalizers().contains(ResourceKeys.NODE_AGENT_FINALIZER);
    }

    /** Adds the node agent's finalizer; returns the object as the API server now has it (null if it is gone). */
    <T extends CustomResource<?, ?>> T addFinalizer(Class<T> type, String name) {
        try {
            return client.resources(type).withName(name).edit(r -> {
                List<String> f = new ArrayList<>(
                        r.getMetadata().getFinalizers() == null
                                ? List.of()
                                : r.getMetadata().getFinalizers());
                if (!f.contains(ResourceKeys.NODE_AGENT_FINALIZER)) {
                    f.add(ResourceKeys.NODE_AGENT_FINALIZER);
                }
                r.getMetadata().setFinalizers(f);
                return r;
            });
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    /** Removes the node agent's finalizer (the API server then completes the deletion). Gone already is fine. */
    <T extends CustomResource<?, ?>> void removeFinalizer(Class<T> type, String name) {
        try {
            client.resources(type).withName(name).edit(r -> {
                List<String> f = new ArrayList<>(
                        r.getMetadata().getFinalizers() == null
                                ? List.of()
                                : r.getMetadata().getFinalizers());
                f.remove(ResourceKeys.NODE_AGENT_FINALIZER);
                r.getMetadata().setFinalizers(f);
                return r;
            });
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                throw e;
            }
        }
    }

    /**
     * Writes {@code status} through the status subresource, replacing it whole (a JSON patch {@code add /status}:
     * a merge patch would merge maps and leave keys this status no longer has). An object deleted meanwhile is not an
     * error.
     */
    <S, T extends CustomResource<?, S>> void writeStatus(Class<T> type, String name, S status) {
        String patch = "[{\"op\":\"add\",\"path\":\"/status\",\"value\":"
                + client.getKubernetesSerialization().asJson(status) + "}]";
        T fresh = newInstance(type); // carries the name, so the client need not GET the object to address it
        fresh.setMetadata(new ObjectMetaBuilder().withName(name).build());
        try {
            client.resources(type).resource(fresh).subresource("status").patch(PatchContext.of(PatchType.JSON), patch);
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                throw e;
            }
        }
    }

    private static <T> T newInstance(Class<T> type) {
        try {
            return type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "resource class " + type.getName() + " needs a public no-arg constructor", e);
        }
    }
}
