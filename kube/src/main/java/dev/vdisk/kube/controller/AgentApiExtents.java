package dev.vdisk.kube.controller;

import dev.vdisk.api.agent.BlockExtent;
import dev.vdisk.kube.agentapi.AgentApiClient;
import dev.vdisk.kube.resource.VdiskNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Status;
import java.util.Iterator;

/** {@link SnapshotExtents} from the node agent's internal API, at the address its VdiskNode publishes. */
public final class AgentApiExtents implements SnapshotExtents {

    private final KubernetesClient client;
    private final AgentApiClient api;

    public AgentApiExtents(KubernetesClient client, AgentApiClient api) {
        this.client = client;
        this.api = api;
    }

    @Override
    public Iterator<BlockExtent> allocated(String node, String snapshotId, long startOffset) {
        return api.allocated(address(node), snapshotId, startOffset);
    }

    @Override
    public Iterator<BlockExtent> delta(String node, String baseSnapshotId, String targetSnapshotId, long startOffset) {
        return api.delta(address(node), baseSnapshotId, targetSnapshotId, startOffset);
    }

    /** UNAVAILABLE (the CO retries) while the node publishes no address: its agent is down or serves no API. */
    private String address(String node) {
        VdiskNode n = client.resources(VdiskNode.class).withName(node).get();
        String address =
                n == null || n.getStatus() == null ? null : n.getStatus().agentAddress();
        if (address == null || address.isBlank()) {
            throw Status.UNAVAILABLE
                    .withDescription("node " + node + " publishes no agent API address (its agent is"
                            + " down or runs without --agent-listen); snapshot metadata of its pool cannot be read now")
                    .asRuntimeException();
        }
        return address;
    }
}
