package dev.vdisk.kube.controller;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.kube.resource.Failure;
import dev.vdisk.kube.resource.NodeCapacity;
import dev.vdisk.kube.resource.SplitProgress;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskVolume;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Optional;

/**
 * Resources as the agent API's values: what the controller's services see of a volume, snapshot, split or pool is
 * what the node agent last wrote into status (the pool's truth), the spec only where status has nothing yet.
 */
final class AgentViews {

    private AgentViews() {}

    static AgentVolume volume(VdiskVolume v) {
        var s = v.getStatus();
        Map<String, String> attributes = s.attributes() != null
                ? s.attributes()
                : v.getSpec().attributes() != null ? v.getSpec().attributes() : Map.of();
        return new AgentVolume(
                v.getMetadata().getName(),
                s.sizeBytes(),
                s.allocatedBytes(),
                s.staged(),
                attributes,
                Optional.ofNullable(s.abnormal()).filter(a -> !a.isEmpty()));
    }

    static AgentSnapshot snapshot(VdiskSnapshot v) {
        var s = v.getStatus();
        long created = s.creationTime() == null
                ? 0
                : OffsetDateTime.parse(s.creationTime()).toInstant().toEpochMilli();
        return new AgentSnapshot(
                v.getMetadata().getName(),
                v.getSpec().sourceVolumeId(),
                s.sizeBytes(),
                created,
                s.groupId() == null ? "" : s.groupId());
    }

    static SplitStatus split(String volumeId, SplitProgress p) {
        return new SplitStatus(
                volumeId,
                p.mode(),
                p.phase(),
                p.segmentsScanned(),
                p.segmentsTotal(),
                0,
                p.bytesRelocated(),
                p.bytesPerSecond(),
                p.etaSeconds(),
                p.message(),
                "QUEUED".equals(p.phase()));
    }

    static PoolCapacity capacity(VdiskNode n) {
        NodeCapacity c = n.getStatus() == null ? null : n.getStatus().capacity();
        return c == null
                ? new PoolCapacity(0, 0, 0)
                : new PoolCapacity(c.totalBytes(), c.availableBytes(), c.usedBytes());
    }

    /**
     * The node agent's refusal as the exception a local agent would have thrown, so StatusMapper answers with the
     * same code as in standalone mode. A reason this build does not know (a newer node agent) is FAILED_PRECONDITION.
     */
    static AgentException refusal(Failure f, String what) {
        AgentReason reason;
        try {
            reason = AgentReason.valueOf(f.reason());
        } catch (IllegalArgumentException | NullPointerException e) {
            return new AgentException(
                    AgentReason.FAILED_PRECONDITION,
                    what + ": the node agent refused with unknown reason " + f.reason() + ": " + f.message());
        }
        return new AgentException(reason, f.message() == null ? what + " refused (" + reason + ")" : f.message());
    }
}
