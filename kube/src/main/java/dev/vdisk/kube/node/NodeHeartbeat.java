package dev.vdisk.kube.node;

import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.kube.reconcile.Conditions;
import dev.vdisk.kube.reconcile.Timestamps;
import dev.vdisk.kube.resource.NodeCapacity;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskNodeStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this node's VdiskNode: created once, then its status (pool capacity for GetCapacity, the internal API's
 * address, a heartbeat time and a Ready condition) on every beat. {@link #stopped} says Ready False on shutdown so
 * the controller need not wait for the heartbeat to go stale.
 */
final class NodeHeartbeat {
    private static final Logger LOG = LoggerFactory.getLogger(NodeHeartbeat.class);

    private final KubernetesClient client;
    private final ResourceWriter writer;
    private final VolumeAgent agent;
    private final String nodeId;
    private final String agentAddress;
    private final Clock clock;
    /** Last Ready condition written; only the work queue's one thread for this key touches it. */
    private List<Condition> conditions;

    private boolean created;

    NodeHeartbeat(
            KubernetesClient client,
            ResourceWriter writer,
            VolumeAgent agent,
            String nodeId,
            String agentAddress,
            Clock clock) {
        this.client = client;
        this.writer = writer;
        this.agent = agent;
        this.nodeId = nodeId;
        this.agentAddress = agentAddress;
        this.clock = clock;
    }

    void beat() {
        write(true, "AgentRunning", "the node agent reconciles this node's volumes");
    }

    void stopped() {
        write(false, "AgentStopped", "the node agent stopped");
    }

    private void write(boolean ready, String reason, String message) {
        ensureCreated();
        PoolCapacity c = agent.capacity();
        conditions = new Conditions(conditions, 0L, clock.instant())
                .set("Ready", ready, reason, message)
                .build();
        writer.writeStatus(
                VdiskNode.class,
                nodeId,
                new VdiskNodeStatus(
                        new NodeCapacity(c.totalBytes(), c.availableBytes(), c.usedBytes()),
                        agentAddress,
                        Timestamps.format(clock.instant()),
                        conditions));
    }

    private void ensureCreated() {
        if (created) {
            return;
        }
        VdiskNode node = new VdiskNode();
        node.setMetadata(new ObjectMetaBuilder().withName(nodeId).build());
        try {
            client.resources(VdiskNode.class).resource(node).create();
            LOG.info("created VdiskNode {}", nodeId);
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                throw e;
            }
        }
        created = true;
    }
}
