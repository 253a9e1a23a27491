package dev.vdisk.launcher;

import dev.vdisk.kube.agentapi.AgentApiClient;
import dev.vdisk.kube.agentapi.ServiceAccountName;
import dev.vdisk.kube.agentapi.TokenFile;
import dev.vdisk.kube.node.NodeClusterAgent;
import dev.vdisk.kube.node.NodeClusterConfig;
import dev.vdisk.kube.replication.PeerReplication;
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
    /** Dials the other node agents to pull replicas; null without --agent-peer-sa. */
    private final AgentApiClient peers;

    private NodeCluster(KubernetesClient client, NodeClusterAgent agent, AgentApiClient peers) {
        this.client = client;
        this.agent = agent;
        this.peers = peers;
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
        AgentApiClient peers = options.agentPeerSa().isEmpty()
                ? null
                : new AgentApiClient(
                        new TokenFile(options.tokenFile()), options.agentTrust().orElse(null));
        PeerReplication replication = peers == null
                ? null
                : new PeerReplication(
                        local.replicas(),
                        peers,
                        ServiceAccountName.parse(options.agentPeerSa().get()),
                        NodePuller.into(local.replicas(), local.replicaPulls(), options.replicationRate()));
        try {
            NodeClusterAgent agent = NodeClusterAgent.start(client, nodeConfig, local, replication);
            if (replication != null) {
                LOG.info(
                        "node {}: exchanges replicas with the other node agents as {}, pulling at {}",
                        config.nodeId(),
                        replication.peerAccount(),
                        options.replicationRate() == 0 ? "any rate" : options.replicationRate() + " bytes/s at most");
            }
            return Optional.of(new NodeCluster(client, agent, peers));
        } catch (IOException | RuntimeException e) {
            if (peers != null) {
                peers.close();
            }
            client.close();
            throw e;
        }
    }

    /** The cluster agent first (it uses the local agent, the peers' client and the client), then the clients. */
    @Override
    public void close() {
        agent.close();
        if (peers != null) {
            peers.close();
        }
        client.close();
    }
}
