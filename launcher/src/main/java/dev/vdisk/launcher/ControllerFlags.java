package dev.vdisk.launcher;

import picocli.CommandLine.Option;

/** Flags of controller mode: leader election and the wait for node agents. */
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
}
