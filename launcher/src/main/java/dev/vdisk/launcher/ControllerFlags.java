package dev.vdisk.launcher;

import picocli.CommandLine.Option;

/** Flags of controller mode: leader election, the wait for node agents, and how node agents are called. */
final class ControllerFlags {

    @Option(
            names = "--leader-election-namespace",
            paramLabel = "NS",
            order = 40,
            description = "namespace of the Lease the replicas elect their leader on (default: env POD_NAMESPACE, "
                    + "else default)")
    String leaderNamespace;

    @Option(
            names = "--leader-election-id",
            paramLabel = "NAME",
            defaultValue = ClusterOptions.DEFAULT_LEADER_ID,
            order = 41,
            description = "name of that Lease")
    String leaderId;

    @Option(
            names = "--kube-timeout",
            paramLabel = "SECONDS",
            defaultValue = "" + ClusterOptions.DEFAULT_KUBE_TIMEOUT_SECONDS,
            order = 42,
            description = "how long a call waits for the node agent's answer before answering ABORTED; a retry picks "
                    + "the request up again")
    String kubeTimeout;

    @Option(
            names = "--agent-token-file",
            paramLabel = "FILE",
            defaultValue = ClusterOptions.DEFAULT_TOKEN_PATH,
            order = 43,
            description = "service-account token (projected, audience vdisk-csi-agent-api) shown to node agents' "
                    + "internal API, read per call")
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
