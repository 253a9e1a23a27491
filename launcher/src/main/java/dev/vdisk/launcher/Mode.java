package dev.vdisk.launcher;

import csi.v1.PluginCapability;
import csi.v1.PluginCapability.Service.Type;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.service.NodeService;
import io.grpc.BindableService;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The three ways to run, and what each serves. Identity is served by every mode (Main adds it); each mode
 * lists the other CSI services it implements, each with the plugin capability it makes true.
 *
 * <p>Adding a service is one line in the modes that serve it, e.g. when the Controller exists:
 * {@code new Served(new ControllerService(...), Served.service(Type.CONTROLLER_SERVICE))}.
 * Capabilities are derived from this list only, so GetPluginCapabilities can never advertise a service that
 * is not registered. The Node service brings VOLUME_ACCESSIBILITY_CONSTRAINTS: a vdisk is reachable from its own
 * node only, and NodeGetInfo reports that node as accessible_topology (spec: the capability says volumes "MAY NOT
 * be equally accessible by all nodes" and the CO must use the topology). No Controller, GroupController or
 * SnapshotMetadata service exists yet, so CONTROLLER_SERVICE and the others are not advertised.
 */
enum Mode {

    /** Cluster-wide: Controller, GroupController, SnapshotMetadata (later issues). */
    CONTROLLER(false) {
        @Override
        List<Served> services(LaunchConfig config, Optional<NodeAgent> agent) {
            return List.of();
        }
    },

    /** Per node, owns one pool: Node service and the node agent. */
    NODE(true) {
        @Override
        List<Served> services(LaunchConfig config, Optional<NodeAgent> agent) {
            return List.of(new Served(new NodeService(agent.orElseThrow()), Served.service(Type.VOLUME_ACCESSIBILITY_CONSTRAINTS)));
        }
    },

    /** Both on one socket against one local pool, without Kubernetes: for trying it out and for e2e. */
    STANDALONE(true) {
        @Override
        List<Served> services(LaunchConfig config, Optional<NodeAgent> agent) {
            return List.of(new Served(new NodeService(agent.orElseThrow()), Served.service(Type.VOLUME_ACCESSIBILITY_CONSTRAINTS)));
        }
    };

    /** A CSI service and the plugin capabilities it implies. */
    record Served(BindableService service, List<PluginCapability> capabilities) {

        /** The capability list for a service that implies exactly one plugin-level service capability. */
        static List<PluginCapability> service(PluginCapability.Service.Type type) {
            return List.of(PluginCapability.newBuilder()
                    .setService(PluginCapability.Service.newBuilder().setType(type)).build());
        }
    }

    private final boolean ownsPool;

    Mode(boolean ownsPool) {
        this.ownsPool = ownsPool;
    }

    /** The services besides Identity that this mode serves; {@code agent} is present exactly when it owns a pool. */
    abstract List<Served> services(LaunchConfig config, Optional<NodeAgent> agent);

    /** Node and standalone keep volumes in a pool on this machine; the controller never opens one. */
    boolean ownsPool() {
        return ownsPool;
    }

    String flagName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
