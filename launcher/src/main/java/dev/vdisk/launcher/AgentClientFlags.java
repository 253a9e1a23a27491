package dev.vdisk.launcher;

import picocli.CommandLine.Option;

/**
 * How node agents' internal API is called: by the controller (snapshot metadata) and by node agents pulling replicas
 * from each other. Controller and node mode take the same flags.
 */
final class AgentClientFlags {

    @Option(
            names = "--agent-token-file",
            paramLabel = "FILE",
            defaultValue = ClusterOptions.DEFAULT_TOKEN_PATH,
            order = 43,
            description = "service-account token (projected, audience vdisk-csi-agent-api) shown to node agents' "
                    + "internal API, read per call (node: to pull replicas from other nodes, with --agent-peer-sa)")
    String tokenFile;

    @Option(
            names = "--agent-ca-file",
            paramLabel = "FILE",
            order = 44,
            description = "PEM CA that node agents' TLS certificates must chain to; without it the token is sent to "
                    + "loopback addresses only (plaintext)")
    String caFile;

    @Option(
            names = "--agent-server-name",
            paramLabel = "NAME",
            order = 45,
            description = "the name every node agent's certificate carries, checked instead of the pod IP dialled "
                    + "(default: vdisk-agent.<POD_NAMESPACE>.svc)")
    String serverName;
}
