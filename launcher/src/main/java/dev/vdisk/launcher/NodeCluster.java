package dev.vdisk.launcher;

import dev.vdisk.kube.node.NodeClusterAgent;
import dev.vdisk.kube.node.NodeClusterConfig;
import dev.vdisk.node.agent.NodeAgent;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node mode's Kubernetes side: when an API is configured, the node agent joins the cluster (reconciles the resources
 * bound to this node, publishes its VdiskNode, serves the internal API); without one it serves only the Node service.
 */
final class NodeCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeCluster.class);

    private final KubernetesClient client;
    private final NodeClusterAgent agent;

    private NodeCluster(KubernetesClient client, NodeClusterAgent agent) {
        this.client = client;
        this.agent = agent;
    }

    static Optional<NodeCluster> join(LaunchConfig config, NodeAgent local) throws IOException {
        ClusterOptions options = config.cluster();
        if (!KubeApi.configured(options)) {
            LOG.info(
                    "node {}: no Kubernetes API configured (not in a pod, no KUBECONFIG or --kubeconfig): serving the"
                            + " Node service only, no volumes from the controller",
                    config.nodeId());
            return Optional.empty();
        }
        NodeClusterConfig nodeConfig = NodeClusterConfig.of(
                        config.nodeId(),
                        options.agentListen().orElse(null),
                        options.agentAddress().orElse(null),
                        options.agentClientSa().orElse(null))
                .withCertificate(options.agentCertificate().orElse(null));
        KubernetesClient client = KubeApi.client(options, "vdisk-csi-node");
        try {
            return Optional.of(new NodeCluster(client, NodeClusterAgent.start(client, nodeConfig, local)));
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** The cluster agent first (it uses the local agent and the client), then the client. */
    @Override
    public void close() {
        agent.close();
        client.close();
    }
}
