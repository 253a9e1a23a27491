package dev.vdisk.kube.node;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.kube.reconcile.Conditions;
import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.reconcile.ObjectEvent;
import dev.vdisk.kube.reconcile.Timestamps;
import dev.vdisk.kube.resource.EventReasons;
import dev.vdisk.kube.resource.Failure;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.VdiskGroupSnapshot;
import dev.vdisk.kube.resource.VdiskGroupSnapshotStatus;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one VdiskGroupSnapshot and the pool together: its member snapshots are taken at one instant (all or none);
 * deleting it deletes its members from the pool (as DeleteVolumeGroupSnapshot does), then drops the finalizer. The
 * members' own VdiskSnapshots wait for it ({@link SnapshotReconciler}); the caller hands them to their reconciler
 * when the group is Ready.
 */
final class GroupSnapshotReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(GroupSnapshotReconciler.class);

    private final VolumeAgent agent;
    private final ResourceWriter writer;
    private final EventRecorder events;
    private final Clock clock;

    GroupSnapshotReconciler(VolumeAgent agent, ResourceWriter writer, EventRecorder events, Clock clock) {
        this.agent = agent;
        this.writer = writer;
        this.events = events;
        this.clock = clock;
    }

    Outcome<VdiskGroupSnapshotStatus> reconcile(VdiskGroupSnapshot g, VdiskGroupSnapshotStatus previous) {
        String name = g.getMetadata().getName();
        Map<String, String> members =
                g.getSpec().members() == null ? Map.of() : g.getSpec().members();
        if (g.getMetadata().getDeletionTimestamp() != null) {
            if (ResourceWriter.hasFinalizer(g)) {
                members.values().forEach(agent::deleteSnapshot);
                writer.removeFinalizer(VdiskGroupSnapshot.class, name);
                LOG.info("group snapshot {} and its members {} deleted from the pool", name, members.values());
            }
            return Outcome.removed();
        }
        if (!ResourceWriter.hasFinalizer(g)) {
            g = writer.addFinalizer(VdiskGroupSnapshot.class, name);
            if (g == null) {
                return Outcome.done(previous);
            }
        }
        Long generation = g.getMetadata().getGeneration();
        if (previous != null
                && previous.phase() != ResourcePhase.Pending
                && Objects.equals(previous.observedGeneration(), generation)) {
            return Outcome.done(previous); // taken or refused: nothing in it changes
        }
        Conditions c = new Conditions(previous == null ? null : previous.conditions(), generation, clock.instant());
        VdiskGroupSnapshotStatus next;
        try {
            List<AgentSnapshot> taken = agent.createSnapshotGroup(name, members);
            String created = taken.stream()
                    .min(Comparator.comparingLong(AgentSnapshot::createdMillis))
                    .map(s -> Timestamps.ofMillis(s.createdMillis()))
                    .orElse(null);
            next = new VdiskGroupSnapshotStatus(
                    ResourcePhase.Ready,
                    generation,
                    created,
                    null,
                    c.set("Ready", true, "InPool", "members taken at one instant: " + members.values())
                            .build());
        } catch (AgentException e) {
            Failure failure = new Failure(e.reason().name(), e.getMessage());
            LOG.warn("group snapshot {} refused: {} {}", name, e.reason(), e.getMessage());
            events.record(g, ObjectEvent.warning(EventReasons.SNAPSHOT_FAILED, e.reason() + ": " + e.getMessage()));
            next = new VdiskGroupSnapshotStatus(
                    ResourcePhase.Failed,
                    generation,
                    null,
                    failure,
                    c.set("Ready", false, failure.reason(), failure.message()).build());
        }
        writer.writeStatus(VdiskGroupSnapshot.class, name, next);
        return Outcome.done(next);
    }
}
