package dev.vdisk.kube.resource;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * An evacuation's progress, written by the controller from its replications.
 *
 * @param phase        Pending, Running, Succeeded (every volume has a snapshot elsewhere) or Failed
 * @param volumesTotal volumes found on the node
 * @param volumesDone  volumes with a snapshot complete on another node
 * @param volumes      one entry per volume
 * @param conditions   Complete, Failed with reason and message
 */
public record VdiskEvacuationStatus(
        String phase, int volumesTotal, int volumesDone, List<EvacuatedVolume> volumes, List<Condition> conditions) {

    /**
     * One volume of the evacuated node.
     *
     * @param volumeId    the CSI volume ID
     * @param namespace   the PVC's namespace, null for a volume no PVC names
     * @param pvcName     the PVC's name, null for a volume no PVC names
     * @param replication the {@link VdiskReplication} shipping it ({@code namespace/name})
     * @param targetNode  where its snapshot goes
     * @param snapshotId  the snapshot to restore from once complete (a CSI snapshot handle), null before
     * @param phase       the replication's phase
     * @param percent     0 to 100
     * @param message     what failed, null otherwise
     */
    public record EvacuatedVolume(
            String volumeId,
            String namespace,
            String pvcName,
            String replication,
            String targetNode,
            String snapshotId,
            VdiskReplicationPhase phase,
            int percent,
            String message) {}
}
