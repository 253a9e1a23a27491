package dev.vdisk.kube.replication;

import dev.vdisk.api.agent.ReplicaApi;
import dev.vdisk.kube.agentapi.AgentApiClient;
import dev.vdisk.kube.agentapi.ServiceAccountName;
import java.util.Objects;

/**
 * What a node agent needs to exchange replicas with the other node agents.
 *
 * @param replicas this node's pool as source (served to peers on the internal API) and as target
 * @param peers dials other agents with this node's token (audience {@code vdisk-csi-agent-api}) and their CA; closed
 *     by its owner
 * @param peerAccount the node plugin's service account, which the internal API admits to the replication service
 * @param pullers the node plugin's puller, adapted
 */
public record PeerReplication(
        ReplicaApi replicas, AgentApiClient peers, ServiceAccountName peerAccount, SnapshotPuller.Factory pullers) {
    public PeerReplication {
        Objects.requireNonNull(replicas, "replicas");
        Objects.requireNonNull(peers, "peers");
        Objects.requireNonNull(peerAccount, "peerAccount");
        Objects.requireNonNull(pullers, "pullers");
    }
}
