package dev.vdisk.launcher;

import dev.vdisk.cli.shared.ByteSize;
import picocli.CommandLine.Option;

/** Flags of node mode for the node agent's internal API, which the controller calls. */
final class AgentApiFlags {

    @Option(
            names = "--agent-listen",
            paramLabel = "HOST:PORT",
            order = 50,
            description = "serve the internal API (snapshot metadata for the controller) here; without it the node "
                    + "serves none. Any address but loopback needs TLS (--agent-tls-cert and --agent-tls-key)")
    String listen;

    @Option(
            names = "--agent-address",
            paramLabel = "HOST:PORT",
            order = 51,
            description = "the address published for the controller (default: --agent-listen)")
    String address;

    @Option(
            names = "--agent-client-sa",
            paramLabel = "NAMESPACE:NAME",
            order = 52,
            description = "the controller's service account, the only caller the internal API lets in (checked by "
                    + "TokenReview); required with --agent-listen")
    String clientSa;

    @Option(
            names = "--agent-tls-cert",
            paramLabel = "FILE",
            order = 53,
            description = "PEM certificate (chain) the internal API presents, re-read every minute")
    String tlsCert;

    @Option(
            names = "--agent-tls-key",
            paramLabel = "FILE",
            order = 54,
            description = "its PEM key (PKCS#8, or PKCS#1 RSA), re-read every minute")
    String tlsKey;

    @Option(
            names = "--agent-peer-sa",
            paramLabel = "NAMESPACE:NAME",
            order = 55,
            description = "the node plugin's own service account: the internal API lets it pull replicas of this "
                    + "node's snapshots, and this node pulls other nodes' snapshots with its token (--agent-token-file)"
                    + " and checks them with --agent-ca-file, so clones and restores work on any node. Needs "
                    + "--agent-listen; without it clones stay on their source's node")
    String peerSa;

    @Option(
            names = "--replication-rate",
            paramLabel = "SIZE",
            order = 56,
            description = "at most this many bytes of data per second when this node pulls a replica, e.g. 200M "
                    + "(zeros and holes travel without data); default: unlimited")
    ByteSize replicationRate;
}
