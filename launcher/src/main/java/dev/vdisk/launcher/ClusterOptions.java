package dev.vdisk.launcher;

import dev.vdisk.kube.agentapi.AgentTrust;
import dev.vdisk.kube.agentapi.ServingCertificate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The command line's cluster-mode settings. Controller: the Lease it elects its leader on, how long a CSI call waits
 * for a node agent, the token it shows node agents and the CA it checks them with. Node: where its internal API
 * listens, the address it publishes, the one service account it lets in, its TLS certificate. Both: an explicit
 * kubeconfig, else fabric8's defaults (in-cluster, KUBECONFIG, ~/.kube/config).
 *
 * @param leaderNamespace namespace of the Lease (default: env POD_NAMESPACE, else {@code default})
 * @param leaderId        name of the Lease
 * @param tokenFile       the service-account token shown to node agents' internal API, read per call
 * @param kubeTimeout     how long a controller call waits for a node agent's status before answering ABORTED
 * @param kubeconfig      an explicit kubeconfig file
 * @param agentListen     node: host:port the internal API listens on, empty for none
 * @param agentAddress    node: host:port published for the controller (default: agentListen)
 * @param agentClientSa   node: NAMESPACE:NAME of the controller's service account, the only caller let in
 * @param agentCertificate node: the internal API's TLS certificate and key; empty: plaintext on loopback only
 * @param agentTrust      controller and node: the CA and server name node agents' certificates are checked against;
 *                        empty: agents are dialled on loopback addresses only
 * @param agentPeerSa     node: NAMESPACE:NAME of the node plugin's own account; present: it serves its snapshots to
 *                        the other node agents and pulls theirs (with {@code tokenFile} and {@code agentTrust})
 * @param replicationRate node: data bytes per second a replica is pulled at, 0 for unlimited
 */
record ClusterOptions(
        String leaderNamespace,
        String leaderId,
        Path tokenFile,
        Duration kubeTimeout,
        Optional<Path> kubeconfig,
        Optional<String> agentListen,
        Optional<String> agentAddress,
        Optional<String> agentClientSa,
        Optional<ServingCertificate> agentCertificate,
        Optional<AgentTrust> agentTrust,
        Optional<String> agentPeerSa,
        long replicationRate) {

    static final String DEFAULT_LEADER_ID = "vdisk-csi-controller";
    /**
     * Where the chart mounts the controller's projected service-account token with audience
     * {@code vdisk-csi-agent-api}, the one node agents accept (the pod's own token is for the API server only).
     */
    static final String DEFAULT_TOKEN_PATH = "/var/run/secrets/vdisk-csi/agent-api/token";

    static final Path DEFAULT_TOKEN_FILE = Path.of(DEFAULT_TOKEN_PATH);
    static final int DEFAULT_KUBE_TIMEOUT_SECONDS = 60;
    static final Duration DEFAULT_KUBE_TIMEOUT = Duration.ofSeconds(DEFAULT_KUBE_TIMEOUT_SECONDS);

    static ClusterOptions defaults() {
        String ns = System.getenv("POD_NAMESPACE");
        return new ClusterOptions(
                ns == null || ns.isBlank() ? "default" : ns,
                DEFAULT_LEADER_ID,
                DEFAULT_TOKEN_FILE,
                DEFAULT_KUBE_TIMEOUT,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                0);
    }

    ClusterOptions withAgentTls(Optional<ServingCertificate> certificate, Optional<AgentTrust> trust) {
        return new ClusterOptions(
                leaderNamespace,
                leaderId,
                tokenFile,
                kubeTimeout,
                kubeconfig,
                agentListen,
                agentAddress,
                agentClientSa,
                certificate,
                trust,
                agentPeerSa,
                replicationRate);
    }

    ClusterOptions withAgentPeer(Optional<String> peerSa, long rate) {
        return new ClusterOptions(
                leaderNamespace,
                leaderId,
                tokenFile,
                kubeTimeout,
                kubeconfig,
                agentListen,
                agentAddress,
                agentClientSa,
                agentCertificate,
                agentTrust,
                peerSa,
                rate);
    }
}
