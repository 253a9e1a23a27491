package dev.vdisk.launcher;

import csi.v1.PluginCapability;
import csi.v1.PluginCapability.Service.Type;
import dev.vdisk.controller.agents.LocalNodeAgents;
import dev.vdisk.controller.agents.NodeAgents;
import dev.vdisk.controller.metadata.SnapshotMetadataService;
import dev.vdisk.controller.service.CloneSplitHook;
import dev.vdisk.controller.service.ControllerService;
import dev.vdisk.controller.service.GroupControllerService;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.service.NodeService;
import io.grpc.BindableService;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The three ways to run, and what each serves. Identity is served by every mode (Main adds it); each mode
 * lists the other CSI services it implements, each with the plugin capability it makes true.
 *
 * <p>Adding a service is one line in the modes that serve it, e.g.
 * {@code new Served(new GroupControllerService(agents), Served.service(Type.GROUP_CONTROLLER_SERVICE))}.
 * Capabilities are derived from this list only, so GetPluginCapabilities can never advertise a service that
 * is not registered. The Node service brings VOLUME_ACCESSIBILITY_CONSTRAINTS: a vdisk is reachable from its own
 * node only, and NodeGetInfo reports that node as accessible_topology (spec: the capability says volumes "MAY NOT
 * be equally accessible by all nodes" and the CO must use the topology). The Controller brings CONTROLLER_SERVICE
 * and VolumeExpansion ONLINE (a staged volume's device grows with it and NodeExpandVolume grows its mounted file
 * system) and VOLUME_ACCESSIBILITY_CONSTRAINTS as well: the external-provisioner asks the controller's socket
 * only, and without it sends no topology in CreateVolume and writes no node affinity on the PV, so pods would be
 * scheduled to nodes that do not have the volume. GroupController brings GROUP_CONTROLLER_SERVICE and
 * SnapshotMetadata SNAPSHOT_METADATA_SERVICE. {@link #capabilities} lists each capability once (standalone serves
 * Node and Controller, which both bring VOLUME_ACCESSIBILITY_CONSTRAINTS).
 *
 * <p>Controller and standalone serve the same controller-side services over different {@link NodeAgents}:
 * standalone over the one agent in its process, controller mode over the node agents of the cluster as custom
 * resources ({@code dev.vdisk.kube.controller.ResourceNodeAgents}). Every controller replica serves them (the CSI
 * sidecars elect their own leader); only the elected one runs background tasks.
 */
enum Mode {

    /** Cluster-wide: Controller, GroupController and SnapshotMetadata over the node agents as custom resources. */
    CONTROLLER(false) {
        @Override
        List<Served> services(LaunchConfig config, Optional<NodeAgent> agent, Optional<NodeAgents> cluster) {
            return controllerSide(cluster.orElseThrow());
        }
    },

    /** Per node, owns one pool: Node service and the node agent. */
    NODE(true) {
        @Override
        List<Served> services(LaunchConfig config, Optional<NodeAgent> agent, Optional<NodeAgents> cluster) {
            return List.of(new Served(
                    new NodeService(agent.orElseThrow()), Served.service(Type.VOLUME_ACCESSIBILITY_CONSTRAINTS)));
        }
    },

    /** Both on one socket against one local pool, without Kubernetes: for trying it out and for e2e. */
    STANDALONE(true) {
        @Override
        List<Served> services(LaunchConfig config, Optional<NodeAgent> agent, Optional<NodeAgents> cluster) {
            LocalNodeAgents agents = new LocalNodeAgents(config.nodeId(), agent.orElseThrow());
            List<Served> out = new ArrayList<>();
            out.add(new Served(
                    new NodeService(agent.orElseThrow()), Served.service(Type.VOLUME_ACCESSIBILITY_CONSTRAINTS)));
            out.addAll(controllerSide(agents));
            return out;
        }
    },

    /**
     * Per node, beside the node plugin: keeps the FUSE and loop descriptors across node plugin restarts. Serves no
     * CSI; Main runs it instead of a CSI server.
     */
    FD_HOLDER(false) {
        @Override
        List<Served> services(LaunchConfig config, Optional<NodeAgent> agent, Optional<NodeAgents> cluster) {
            return List.of();
        }
    };

    /** Controller, GroupController and SnapshotMetadata over {@code agents}. */
    private static List<Served> controllerSide(NodeAgents agents) {
        return List.of(
                new Served(new ControllerService(agents, CloneSplitHook.startingOn(agents)), Served.controller()),
                new Served(new GroupControllerService(agents), Served.service(Type.GROUP_CONTROLLER_SERVICE)),
                new Served(new SnapshotMetadataService(agents), Served.service(Type.SNAPSHOT_METADATA_SERVICE)));
    }

    /** A CSI service and the plugin capabilities it implies. */
    record Served(BindableService service, List<PluginCapability> capabilities) {

        /** The capability list for a service that implies exactly one plugin-level service capability. */
        static List<PluginCapability> service(PluginCapability.Service.Type type) {
            return List.of(PluginCapability.newBuilder()
                    .setService(PluginCapability.Service.newBuilder().setType(type))
                    .build());
        }

        /** The Controller's: CONTROLLER_SERVICE, volumes local to a node, and online volume expansion. */
        static List<PluginCapability> controller() {
            return List.of(
                    service(Type.CONTROLLER_SERVICE).getFirst(),
                    service(Type.VOLUME_ACCESSIBILITY_CONSTRAINTS).getFirst(),
                    PluginCapability.newBuilder()
                            .setVolumeExpansion(PluginCapability.VolumeExpansion.newBuilder()
                                    .setType(PluginCapability.VolumeExpansion.Type.ONLINE))
                            .build());
        }
    }

    /** What GetPluginCapabilities answers for these services: each capability once, in the order served. */
    static List<PluginCapability> capabilities(List<Served> served) {
        return served.stream()
                .flatMap(s -> s.capabilities().stream())
                .distinct()
                .toList();
    }

    private final boolean ownsPool;

    Mode(boolean ownsPool) {
        this.ownsPool = ownsPool;
    }

    /**
     * The services besides Identity that this mode serves; {@code agent} is present exactly when it owns a pool,
     * {@code cluster} in controller mode (the node agents as resources).
     */
    abstract List<Served> services(LaunchConfig config, Optional<NodeAgent> agent, Optional<NodeAgents> cluster);

    /** Node and standalone keep volumes in a pool on this machine; the controller never opens one. */
    boolean ownsPool() {
        return ownsPool;
    }

    /** The mode as the command line spells it: {@code controller}, {@code fd-holder}. */
    String flagName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
