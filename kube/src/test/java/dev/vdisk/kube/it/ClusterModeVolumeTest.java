package dev.vdisk.kube.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.Volume;
import dev.vdisk.controller.service.CloneSplitHook;
import dev.vdisk.controller.service.ControllerService;
import dev.vdisk.kube.controller.AgentApiExtents;
import dev.vdisk.kube.controller.ResourceNodeAgents;
import dev.vdisk.kube.node.NodeClusterAgent;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.VdiskVolume;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Volumes in cluster mode ({@link ClusterModeFixture}) while their node is down or they are staged: a deletion waits
 * for the node, an expansion while staged does not block the deletion after the unstage.
 */
class ClusterModeVolumeTest extends ClusterModeFixture {

    @Test
    void aDeletionWhileTheNodeIsDownWaitsForItsFinalizerAndCompletesWhenTheNodeIsBack() throws Exception {
        Volume volume = call(controller::createVolume, create("pvc-1")).getVolume();
        node.close();
        agent.close();
        // the controller waits a bounded time, then answers OK: the deletion is recorded, its finalizer keeps the
        // resource until the node agent has deleted the volume from its pool
        ResourceNodeAgents impatient = new ResourceNodeAgents(
                controllerClient, Duration.ofSeconds(1), new AgentApiExtents(controllerClient, agentApi));
        ControllerService shortWait = new ControllerService(impatient, CloneSplitHook.startingOn(impatient));
        call(
                shortWait::deleteVolume,
                DeleteVolumeRequest.newBuilder()
                        .setVolumeId(volume.getVolumeId())
                        .build());
        VdiskVolume waiting = volume(volume.getVolumeId());
        assertNotNull(waiting.getMetadata().getDeletionTimestamp());
        assertEquals(
                List.of(ResourceKeys.NODE_AGENT_FINALIZER),
                waiting.getMetadata().getFinalizers());

        agent = startAgent();
        assertTrue(agent.getVolume(volume.getVolumeId()).isPresent(), "nothing deleted while the node was down");
        node = NodeClusterAgent.start(nodeClient, nodeConfig, agent);
        await(
                "the node deletes it and drops the finalizer",
                () -> volume(volume.getVolumeId()) == null,
                () -> volume(volume.getVolumeId()));
        assertEquals(List.of(), agent.listVolumes());
    }

    @Test
    void aVolumeExpandedWhileStagedCanBeDeletedOnceUnstaged() throws Exception {
        Volume volume = call(controller::createVolume, create("pvc-1")).getVolume();
        String id = volume.getVolumeId();
        kubelet.whileStaged(id, () -> {
            // an online expansion: the node answers the new generation while the volume is staged
            call(
                    controller::controllerExpandVolume,
                    ControllerExpandVolumeRequest.newBuilder()
                            .setVolumeId(id)
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(32 * MIB))
                            .build());
            assertTrue(volume(id).getStatus().staged(), volume(id).getStatus().toString());
        });
        awaitUnstagedStatus(id); // no resource changed: the node notices by itself, not at the next resync
        call(
                controller::deleteVolume,
                DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        assertEquals(List.of(), agent.listVolumes());
    }
}
