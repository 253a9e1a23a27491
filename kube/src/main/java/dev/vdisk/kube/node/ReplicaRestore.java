package dev.vdisk.kube.node;

import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.reconcile.ObjectEvent;
import dev.vdisk.kube.replication.PeerPulls;
import dev.vdisk.kube.replication.PullProgress;
import dev.vdisk.kube.resource.EventReasons;
import dev.vdisk.kube.resource.Failure;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeSpec;
import java.util.Optional;

/**
 * The first half of a clone whose snapshot lives on another node (restore anywhere): pull a replica of that snapshot
 * into this pool, under the snapshot's own id, so that the clone is then an ordinary local clone of it. Each source
 * snapshot has its own replica ({@link #replicaId}), so a second clone of it finds it here and pulls nothing, and an
 * older snapshot never has to be made from a newer one. Events: {@code ReplicationStarted} when the pull starts,
 * {@code Replicated} when the snapshot is here.
 *
 * <p>Called by {@link VolumeReconciler} on the volume's work (one at a time per volume); the pull runs on {@link
 * PeerPulls}' thread.
 */
final class ReplicaRestore {

    /** What to do with the volume now. */
    sealed interface Step {}

    /** The snapshot is in the pool: clone it. */
    record Here() implements Step {}

    /** The pull runs: show {@code message}, look again later. */
    record Pulling(String message) implements Step {}

    /** The pull failed: refuse this generation. */
    record Refused(Failure failure) implements Step {}

    private final PeerPulls pulls;
    private final EventRecorder events;

    /** @param pulls null when this agent pulls no replicas (no peer account configured) */
    ReplicaRestore(PeerPulls pulls, EventRecorder events) {
        this.pulls = pulls;
        this.events = events;
    }

    /** Whether the spec asks for a clone of a snapshot on another node. */
    static boolean remote(VdiskVolumeSpec spec) {
        return spec.sourceSnapshotId() != null
                && spec.sourceNodeName() != null
                && !spec.sourceNodeName().equals(spec.nodeName());
    }

    /** The replica that holds a copy of {@code snapshotId} on this pool. */
    static String replicaId(String snapshotId) {
        return "snap." + snapshotId;
    }

    /**
     * The spec's snapshot is in the pool: a pull that brought it (the last status showed it, {@code wasPulling}) is
     * over, which the {@code Replicated} Event says.
     */
    Step arrived(VdiskVolume v, boolean wasPulling) {
        String snapshot = v.getSpec().sourceSnapshotId();
        Optional<PullProgress> outcome = pulls == null ? Optional.empty() : pulls.forget(replicaId(snapshot));
        if (wasPulling) {
            events.record(
                    v,
                    ObjectEvent.normal(
                            EventReasons.REPLICATED,
                            "snapshot " + snapshot + " from node " + v.getSpec().sourceNodeName() + " is here"
                                    + outcome.map(p -> ": " + p.summary()).orElse("")));
        }
        return new Here();
    }

    /**
     * Starts or follows the pull of the spec's snapshot; {@code wasPulling} says whether the last status showed it.
     */
    Step step(VdiskVolume v, boolean wasPulling) {
        VdiskVolumeSpec spec = v.getSpec();
        String snapshot = spec.sourceSnapshotId();
        String source = spec.sourceNodeName();
        if (pulls == null) {
            return new Refused(new Failure(
                    AgentReason.FAILED_PRECONDITION.name(),
                    "snapshot " + snapshot + " is on node " + source + " and this node agent pulls no replicas:"
                            + " start it with --agent-peer-sa NAMESPACE:NAME (the chart does) to restore anywhere"));
        }
        PullProgress p = pulls.ensure(replicaId(snapshot), source, snapshot, snapshot);
        String what = "snapshot " + snapshot + " from node " + source;
        return switch (p.phase()) {
            case PullProgress.DONE -> {
                events.record(v, ObjectEvent.normal(EventReasons.REPLICATED, what + " is here: " + p.summary()));
                yield new Here();
            }
            case PullProgress.FAILED -> {
                String reason = p.reason().isEmpty() ? AgentReason.IO_ERROR.name() : p.reason();
                events.record(
                        v,
                        ObjectEvent.warning(
                                EventReasons.PROVISIONING_FAILED, "cannot pull " + what + ": " + p.message()));
                yield new Refused(new Failure(reason, "cannot pull " + what + ": " + p.message()));
            }
            default -> {
                if (!wasPulling) {
                    events.record(v, ObjectEvent.normal(EventReasons.REPLICATION_STARTED, "pulling " + what));
                }
                yield new Pulling("pulling " + what + ": " + p.summary());
            }
        };
    }
}
