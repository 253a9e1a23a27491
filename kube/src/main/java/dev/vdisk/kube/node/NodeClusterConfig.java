package dev.vdisk.kube.node;

import dev.vdisk.kube.agentapi.ServiceAccountName;
import dev.vdisk.kube.agentapi.ServingCertificate;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * How a node agent joins the cluster.
 *
 * @param nodeId                    this node's ID; the agent reconciles resources labelled
 *                                  {@code vdisk.csi.dev/node=<nodeId>} and publishes VdiskNode {@code <nodeId>}
 * @param agentListen               where the internal API listens ({@code --agent-listen}), null for none
 * @param agentAddress              host:port the controller dials ({@code --agent-address}), published in the
 *                                  VdiskNode; null when there is no internal API
 * @param agentClient               the one service account the internal API accepts ({@code --agent-client-sa}),
 *                                  required with {@code agentListen}
 * @param agentApiAudience          audience the callers' tokens must be issued for; empty: the API server's own
 * @param agentCertificate          the internal API's TLS certificate and key ({@code --agent-tls-cert},
 *                                  {@code --agent-tls-key}); null: plaintext, allowed on a loopback
 *                                  {@code agentListen} only
 * @param heartbeatInterval         how often the VdiskNode status (capacity, heartbeat) is written
 * @param pollInterval              how often work in progress is looked at again: a running split (its progress
 *                                  goes to the VdiskVolume), a volume the pool cannot delete yet, a wait for a
 *                                  source
 * @param resyncInterval            how often the informers hand every object to the reconciler again
 */
public record NodeClusterConfig(
        String nodeId,
        InetSocketAddress agentListen,
        String agentAddress,
        ServiceAccountName agentClient,
        String agentApiAudience,
        ServingCertificate agentCertificate,
        Duration heartbeatInterval,
        Duration pollInterval,
        Duration resyncInterval) {

    /** Audience of the tokens the controller sends to the internal API (a projected service-account token). */
    public static final String DEFAULT_AUDIENCE = "vdisk-csi-agent-api";

    public NodeClusterConfig {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(agentApiAudience, "agentApiAudience");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(resyncInterval, "resyncInterval");
        if (nodeId.isBlank()) {
            throw new IllegalArgumentException("the node agent needs a node ID");
        }
        if (agentListen != null && (agentClient == null || agentAddress == null || agentAddress.isBlank())) {
            // never open without auth, and never listen where the controller cannot find us
            throw new IllegalArgumentException("--agent-listen needs --agent-client-sa NAMESPACE:SERVICEACCOUNT and"
                    + " --agent-address HOST:PORT");
        }
    }

    /**
     * The launcher's flags: {@code agentListen} {@code host:port} or null, {@code agentAddress} {@code host:port} or
     * null, {@code agentClientSa} {@code NAMESPACE:SERVICEACCOUNT} or null; intervals at their defaults (10 s
     * heartbeat, 3 s poll, 5 min resync).
     */
    public static NodeClusterConfig of(String nodeId, String agentListen, String agentAddress, String agentClientSa) {
        return new NodeClusterConfig(
                nodeId,
                agentListen == null ? null : hostPort(agentListen),
                agentAddress,
                agentClientSa == null ? null : ServiceAccountName.parse(agentClientSa),
                DEFAULT_AUDIENCE,
                null,
                Duration.ofSeconds(10),
                Duration.ofSeconds(3),
                Duration.ofMinutes(5));
    }

    public NodeClusterConfig withIntervals(Duration heartbeat, Duration poll, Duration resync) {
        return new NodeClusterConfig(
                nodeId,
                agentListen,
                agentAddress,
                agentClient,
                agentApiAudience,
                agentCertificate,
                heartbeat,
                poll,
                resync);
    }

    public NodeClusterConfig withAudience(String audience) {
        return new NodeClusterConfig(
                nodeId,
                agentListen,
                agentAddress,
                agentClient,
                audience,
                agentCertificate,
                heartbeatInterval,
                pollInterval,
                resyncInterval);
    }

    /** The internal API served over TLS with {@code certificate} (null: plaintext, loopback only). */
    public NodeClusterConfig withCertificate(ServingCertificate certificate) {
        return new NodeClusterConfig(
                nodeId,
                agentListen,
                agentAddress,
                agentClient,
                agentApiAudience,
                certificate,
                heartbeatInterval,
                pollInterval,
                resyncInterval);
    }

    /** {@code host:port} ({@code [v6]:port} too); port 0 picks a free one (tests). */
    static InetSocketAddress hostPort(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + s + "'");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + s + "': the port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " of '" + s + "' is out of range");
        }
        return new InetSocketAddress(host, port);
    }
}
