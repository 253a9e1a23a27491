package dev.vdisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import csi.v1.PluginCapability;
import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.controller.agents.NodeAgents;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ModeTest {

    /** No node at all: the controller's services are built, never called. */
    private static final NodeAgents NO_NODES = new NodeAgents() {
        @Override
        public SortedSet<String> nodeIds() {
            return new TreeSet<>();
        }

        @Override
        public Optional<VolumeAgent> agent(String nodeId) {
            return Optional.empty();
        }
    };

    @Test
    void theControllerAdvertisesVolumeAccessibilityConstraintsSoTheProvisionerSendsTopologyAndWritesNodeAffinity()
            throws UsageException {
        LaunchConfig config = LaunchCommandLine.parse(new String[] {"controller"});
        List<String> advertised =
                names(Mode.capabilities(Mode.CONTROLLER.services(config, Optional.empty(), Optional.of(NO_NODES))));
        assertEquals(
                List.of(
                        "CONTROLLER_SERVICE",
                        "VOLUME_ACCESSIBILITY_CONSTRAINTS",
                        "expansion ONLINE",
                        "GROUP_CONTROLLER_SERVICE",
                        "SNAPSHOT_METADATA_SERVICE"),
                advertised);
    }

    @Test
    void aCapabilityTwoServicesBringIsAdvertisedOnce() {
        List<Mode.Served> both = List.of(
                new Mode.Served(
                        null, Mode.Served.service(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS)),
                new Mode.Served(null, Mode.Served.controller()));
        assertEquals(
                List.of("VOLUME_ACCESSIBILITY_CONSTRAINTS", "CONTROLLER_SERVICE", "expansion ONLINE"),
                names(Mode.capabilities(both)));
    }

    private static List<String> names(List<PluginCapability> capabilities) {
        return capabilities.stream()
                .map(c -> c.hasService()
                        ? c.getService().getType().name()
                        : "expansion " + c.getVolumeExpansion().getType())
                .toList();
    }
}
