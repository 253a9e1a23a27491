package dev.vdisk.launcher;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The launcher's modes as picocli subcommands, each with the flag groups it takes; {@link FlagValidation} turns them
 * into a {@link LaunchConfig}. A new mode is a class here, a constant in {@link Mode} and a case in Main.
 */
final class ModeCommands {

    private ModeCommands() {}

    /** A mode: its flags, checked. */
    interface ModeCommand {
        LaunchConfig config() throws UsageException;
    }

    @Command(
            name = "controller",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description = "the cluster-wide part: Controller, GroupController and SnapshotMetadata services (run once "
                    + "per cluster, next to the CSI sidecars); never opens a pool. Needs a Kubernetes API: volumes are "
                    + "custom resources that node agents reconcile")
    static final class Controller implements ModeCommand {
        @Mixin
        CsiFlags csi;

        @Mixin
        KubeconfigFlag kube;

        @Mixin
        ControllerFlags controller;

        @Mixin
        AgentClientFlags agentClient;

        @Mixin
        LogFlag log;

        @Override
        public LaunchConfig config() throws UsageException {
            return FlagValidation.config(Mode.CONTROLLER, csi, log, null, kube, controller, agentClient, null, false);
        }
    }

    @Command(
            name = "node",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description = "the per-node part: Node service and the agent that owns this node's pool (run on every "
                    + "node, next to node-driver-registrar). Joins the cluster when one is configured, else serves "
                    + "only the Node service and says so")
    static final class Node implements ModeCommand {
        @Mixin
        CsiFlags csi;

        @Mixin
        PoolFlags pool;

        @Mixin
        KubeconfigFlag kube;

        @Mixin
        AgentApiFlags api;

        @Mixin
        AgentClientFlags agentClient;

        @Mixin
        LogFlag log;

        @Override
        public LaunchConfig config() throws UsageException {
            return FlagValidation.config(Mode.NODE, csi, log, pool, kube, null, agentClient, api, false);
        }
    }

    @Command(
            name = "standalone",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description = "node and controller on one socket against one local pool, without Kubernetes: for trying "
                    + "vdisk-csi out and for the end-to-end tests")
    static final class Standalone implements ModeCommand {
        @Mixin
        CsiFlags csi;

        @Mixin
        PoolFlags pool;

        @Mixin
        LogFlag log;

        @Option(
                names = "--demo",
                order = 92,
                description = "print a guided tour of the CSI calls through the socket, then keep serving")
        boolean demo;

        @Override
        public LaunchConfig config() throws UsageException {
            return FlagValidation.config(Mode.STANDALONE, csi, log, pool, null, null, null, null, demo);
        }
    }

    @Command(
            name = "fd-holder",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description = "keeps the FUSE and loop descriptors across node plugin restarts: the node agent's "
                    + "--fd-holder. Serves PATH (0600, in a 0700 directory of its own) until SIGTERM, then closes what "
                    + "it held; serves no CSI")
    static final class FdHolder implements ModeCommand {
        @Option(
                names = "--socket",
                paramLabel = "PATH",
                required = true,
                order = 60,
                description = "the unix socket the holder serves, e.g. /run/vdisk/fd-holder/holder.sock")
        Path socket;

        @Mixin
        LogFlag log;

        @Override
        public LaunchConfig config() throws UsageException {
            return FlagValidation.holder(socket, log);
        }
    }
}
