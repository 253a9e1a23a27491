package dev.vdisk.launcher;

import dev.vdisk.kube.agentapi.AgentApiClient;
import dev.vdisk.kube.agentapi.TokenFile;
import dev.vdisk.kube.controller.AgentApiExtents;
import dev.vdisk.kube.controller.LeaderElection;
import dev.vdisk.kube.controller.LeaderTask;
import dev.vdisk.kube.controller.ResourceNodeAgents;
import dev.vdisk.kube.split.SplitRequestController;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Controller mode's Kubernetes side, assembled and torn down in order: the API client, the node agents as resources
 * (what the CSI services run over, on every replica), the client of the node agents' internal API, and the leader
 * election that runs the background tasks on one replica only.
 */
final class ControllerCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerCluster.class);

    private final KubernetesClient client;
    private final AgentApiClient agentApi;
    private final ResourceNodeAgents agents;
    private final LeaderElection election;

    private ControllerCluster(
            KubernetesClient client, AgentApiClient agentApi, ResourceNodeAgents agents, LeaderElection election) {
        this.client = client;
        this.agentApi = agentApi;
        this.agents = agents;
        this.election = election;
    }

    /** Starts everything; the leader runs the split-request controller (SplitRequest resources, PVC annotations). */
    static ControllerCluster start(LaunchConfig config) throws IOException {
        ClusterOptions options = config.cluster();
        if (!KubeApi.configured(options)) {
            throw new IOException(
                    "controller mode needs a Kubernetes API: run it in a pod, or set KUBECONFIG or" + " --kubeconfig");
        }
        KubernetesClient client = KubeApi.client(options, "vdisk-csi-controller");
        AgentApiClient agentApi = new AgentApiClient(
                new TokenFile(options.tokenFile()), options.agentTrust().orElse(null));
        ResourceNodeAgents agents =
                new ResourceNodeAgents(client, options.kubeTimeout(), new AgentApiExtents(client, agentApi));
        List<LeaderTask> leaderTasks = List.of(() -> SplitRequestController.start(client, config.driverName()));
        String identity = LeaderIdentity.current();
        LeaderElection election = new LeaderElection(
                        client,
                        options.leaderNamespace(),
                        options.leaderId(),
                        identity,
                        LeaderElection.Timing.DEFAULT,
                        leaderTasks)
                .start();
        LOG.info(
                "controller on Kubernetes API {}: calls wait up to {} s for node agents; leader election on lease {}/{}"
                        + " as {}",
                client.getMasterUrl(),
                options.kubeTimeout().toSeconds(),
                options.leaderNamespace(),
                options.leaderId(),
                identity);
        return new ControllerCluster(client, agentApi, agents, election);
    }

    ResourceNodeAgents agents() {
        return agents;
    }

    KubernetesClient client() {
        return client;
    }

    /** Leadership first (a standby takes over while this one finishes), then the clients. */
    @Override
    public void close() {
        try {
            election.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        agentApi.close();
        client.close();
    }
}
