package dev.vdisk.kube.agentapi;

import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How the controller recognises node agents: their certificates must chain to the CA in {@code caFile} and name
 * {@code serverName}. Agents are dialled at a pod IP, which no certificate made at install time can name, so every
 * agent presents a certificate for one fixed name (the chart's {@code vdisk-agent.<namespace>.svc}) and the client
 * checks that name instead of the IP (gRPC's authority override, which also sets the TLS SNI). That is safe because
 * only node agents hold a key the CA signed for it.
 *
 * @param caFile     PEM of the CA (the chart mounts the Secret's {@code ca.crt})
 * @param serverName the name every agent's certificate carries
 */
public record AgentTrust(Path caFile, String serverName) {

    /** The server name for agents of a release in {@code namespace}; the chart issues certificates for it. */
    public static String defaultServerName(String namespace) {
        return "vdisk-agent." + namespace + ".svc";
    }

    public AgentTrust {
        Objects.requireNonNull(caFile, "caFile");
        Objects.requireNonNull(serverName, "serverName");
        if (serverName.isBlank()) {
            throw new IllegalArgumentException("the agents' server name must not be empty");
        }
    }

    /** TLS credentials trusting only the CA, read now (each new channel reads it again). */
    ChannelCredentials credentials() throws IOException {
        return TlsChannelCredentials.newBuilder().trustManager(caFile.toFile()).build();
    }
}
