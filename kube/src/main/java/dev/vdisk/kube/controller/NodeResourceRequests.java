package dev.vdisk.kube.controller;

import dev.vdisk.controller.service.OperationPendingException;
import dev.vdisk.kube.resource.ResourceKeys;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests the controller writes for one node: resources bound to it (label {@link ResourceKeys#NODE_LABEL},
 * finalizer {@link ResourceKeys#NODE_AGENT_FINALIZER}), created once or read back, and their deletion awaited
 * (bounded). Shared by {@link ResourceVolumeAgent} and {@link ResourceSnapshots}; stateless but for the node.
 */
final class NodeResourceRequests {
    private static final Logger LOG = LoggerFactory.getLogger(NodeResourceRequests.class);

    private final String node;
    private final ResourceWait wait;

    NodeResourceRequests(String node, ResourceWait wait) {
        this.node = node;
        this.wait = wait;
    }

    /** Whether the resource is bound to this node. */
    boolean mine(HasMetadata r) {
        return ResourceKeys.nodeLabelValue(node)
                .equals(
                        r.getMetadata().getLabels() == null
                                ? null
                                : r.getMetadata().getLabels().get(ResourceKeys.NODE_LABEL));
    }

    /**
     * The resource as it is, or created from {@code fresh}. One still being deleted is waited for first (bounded),
     * then created anew; a concurrent create (409) is read back.
     */
    <T extends HasMetadata> T existingOrCreated(Resource<T> r, String id, String kind, Supplier<T> fresh) {
        T existing = r.get();
        if (existing != null && ResourceWait.terminating(existing)) {
            wait.until(r, Objects::isNull, kind + " " + id + " (still being deleted)");
            existing = null;
        }
        if (existing != null) {
            return existing;
        }
        try {
            T created = r.create(fresh.get());
            LOG.info("{} {}: asked of node {}", kind, id, node);
            return created;
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                T now = r.get();
                if (now != null) {
                    return now;
                }
            }
            throw e;
        }
    }

    <T extends HasMetadata> void awaitGone(Resource<T> r, String what) {
        try {
            wait.until(r, Objects::isNull, what);
        } catch (OperationPendingException e) {
            LOG.info(
                    "{}: deletion still pending on node {}; its finalizer keeps it until the node agent is done",
                    what,
                    node);
        }
    }

    ObjectMeta meta(String name, Map<String, String> labels) {
        Map<String, String> all = new TreeMap<>(labels);
        all.put(ResourceKeys.NODE_LABEL, ResourceKeys.nodeLabelValue(node));
        return new ObjectMetaBuilder()
                .withName(name)
                .withLabels(all)
                .withFinalizers(ResourceKeys.NODE_AGENT_FINALIZER)
                .build();
    }
}
