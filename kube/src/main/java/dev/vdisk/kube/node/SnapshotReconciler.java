package dev.vdisk.kube.node;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentLineage;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.PoolAgent;
import dev.vdisk.kube.reconcile.Conditions;
import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.reconcile.ObjectEvent;
import dev.vdisk.kube.reconcile.Timestamps;
import dev.vdisk.kube.resource.EventReasons;
import dev.vdisk.kube.resource.Failure;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.VdiskGroupSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshotStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one VdiskSnapshot and the pool together: deletion (the pool hides a snapshot that clones still read through
 * and frees it with its last dependent, so the delete always succeeds), the finalizer, the snapshot if this generation
 * was not answered yet, then the status. A snapshot that is a member of a group snapshot not yet taken waits for the
 * group (taking it alone would make the group's all-or-nothing create fail), and fails with it if it is refused. An answered snapshot only has its
 * dependents refreshed; its creation time is the pool's, so a resync never changes it.
 */
final class SnapshotReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotReconciler.class);

    private final PoolAgent agent;
    private final ResourceWriter writer;
    private final EventRecorder events;
    private final NodeObjects objects;
    private final Clock clock;
    private final Duration poll;

    SnapshotReconciler(
            PoolAgent agent,
            ResourceWriter writer,
            EventRecorder events,
            NodeObjects objects,
            Clock clock,
            Duration poll) {
        this.poll = poll;
        this.agent = agent;
        this.writer = writer;
        this.events = events;
        this.objects = objects;
        this.clock = clock;
    }

    Outcome<VdiskSnapshotStatus> reconcile(VdiskSnapshot s, VdiskSnapshotStatus previous) {
        String name = s.getMetadata().getName();
        if (s.getMetadata().getDeletionTimestamp() != null) {
            if (ResourceWriter.hasFinalizer(s)) {
                agent.deleteSnapshot(name);
                writer.removeFinalizer(VdiskSnapshot.class, name);
                LOG.info("snapshot {} deleted from the pool; finalizer removed", name);
            }
            return Outcome.removed();
        }
        if (!ResourceWriter.hasFinalizer(s)) {
            s = writer.addFinalizer(VdiskSnapshot.class, name);
            if (s == null) {
                return Outcome.done(previous);
            }
        }
        Long generation = s.getMetadata().getGeneration();
        boolean answered = previous != null
                && previous.phase() != ResourcePhase.Pending
                && Objects.equals(previous.observedGeneration(), generation);
        if (answered && previous.phase() == ResourcePhase.Failed) {
            return Outcome.done(previous);
        }
        Failure failure = null;
        String source = s.getSpec().sourceVolumeId();
        if (!answered) {
            Optional<AgentSnapshot> existing = agent.getSnapshot(name);
            if (existing.isPresent() && !existing.get().sourceVolumeId().equals(source)) {
                failure = new Failure(
                        AgentReason.ALREADY_EXISTS.name(),
                        "snapshot " + name + " exists, taken of volume "
                                + existing.get().sourceVolumeId() + ", not " + source);
            } else if (existing.isEmpty() && refusedGroup(name).isPresent()) {
                VdiskGroupSnapshot g = refusedGroup(name).get();
                failure = new Failure(
                        g.getStatus().failure().reason(),
                        "group snapshot " + g.getMetadata().getName() + " was refused: "
                                + g.getStatus().failure().message());
            } else if (existing.isEmpty()) {
                Optional<String> waitFor = waitingFor(name, source);
                if (waitFor.isPresent()) {
                    return Outcome.again(write(s, pending(s, previous, waitFor.get()), previous), poll);
                }
                try {
                    agent.createSnapshot(name, source);
                } catch (AgentException e) {
                    failure = new Failure(e.reason().name(), e.getMessage());
                }
            }
            if (failure != null) {
                LOG.warn("snapshot {} refused: {} {}", name, failure.reason(), failure.message());
                events.record(
                        s,
                        ObjectEvent.warning(EventReasons.SNAPSHOT_FAILED, failure.reason() + ": " + failure.message()));
            }
        }
        return Outcome.done(write(s, observe(s, previous, failure), previous));
    }

    /** The refused group snapshot it is a member of: it is not taken alone either. */
    private Optional<VdiskGroupSnapshot> refusedGroup(String name) {
        return objects.groups().stream()
                .filter(g -> g.getSpec() != null
                        && g.getSpec().members() != null
                        && g.getSpec().members().containsValue(name))
                .filter(g -> g.getStatus() != null
                        && g.getStatus().phase() == ResourcePhase.Failed
                        && g.getStatus().failure() != null)
                .findFirst();
    }

    /** Why it cannot be taken yet: its group is still to be taken, or its volume is still being created. */
    private Optional<String> waitingFor(String name, String source) {
        Optional<String> group = objects.groups().stream()
                .filter(g -> g.getSpec() != null
                        && g.getSpec().members() != null
                        && g.getSpec().members().containsValue(name))
                .filter(g -> g.getStatus() == null || g.getStatus().phase() == ResourcePhase.Pending)
                .map(g -> "waiting for group snapshot " + g.getMetadata().getName())
                .findFirst();
        if (group.isPresent()) {
            return group;
        }
        boolean volumeComing = agent.getVolume(source).isEmpty()
                && objects.volume(source)
                        .filter(v -> v.getMetadata().getDeletionTimestamp() == null)
                        .filter(v -> v.getStatus() == null || v.getStatus().phase() == ResourcePhase.Pending)
                        .isPresent();
        return volumeComing ? Optional.of("waiting for volume " + source) : Optional.empty();
    }

    private VdiskSnapshotStatus observe(VdiskSnapshot s, VdiskSnapshotStatus previous, Failure failure) {
        String name = s.getMetadata().getName();
        Instant now = clock.instant();
        Optional<AgentSnapshot> snap = failure == null ? agent.getSnapshot(name) : Optional.empty();
        List<String> dependents = snap.isEmpty()
                ? List.of()
                : lineage(name).map(AgentLineage::dependents).orElse(List.of());
        ResourcePhase phase =
                failure != null ? ResourcePhase.Failed : snap.isPresent() ? ResourcePhase.Ready : ResourcePhase.Pending;
        Conditions c = new Conditions(
                previous == null ? null : previous.conditions(), s.getMetadata().getGeneration(), now);
        switch (phase) {
            case Ready -> c.set("Ready", true, "InPool", "the pool has the snapshot");
            case Failed -> c.set("Ready", false, failure.reason(), failure.message());
            case Pending -> c.set("Ready", false, "Missing", "the pool has no snapshot " + name);
        }
        return new VdiskSnapshotStatus(
                phase,
                s.getMetadata().getGeneration(),
                snap.map(AgentSnapshot::sizeBytes).orElse(0L),
                snap.map(a -> Timestamps.ofMillis(a.createdMillis())).orElse(null),
                snap.isPresent(),
                snap.map(AgentSnapshot::groupId).filter(g -> !g.isEmpty()).orElse(null),
                dependents,
                failure,
                c.build());
    }

    private Optional<AgentLineage> lineage(String name) {
        return agent.lineage(name);
    }

    private VdiskSnapshotStatus pending(VdiskSnapshot s, VdiskSnapshotStatus previous, String why) {
        Conditions c = new Conditions(
                        previous == null ? null : previous.conditions(),
                        s.getMetadata().getGeneration(),
                        clock.instant())
                .set("Ready", false, "Waiting", why);
        return new VdiskSnapshotStatus(
                ResourcePhase.Pending,
                s.getMetadata().getGeneration(),
                0,
                null,
                false,
                null,
                List.of(),
                null,
                c.build());
    }

    private VdiskSnapshotStatus write(VdiskSnapshot s, VdiskSnapshotStatus next, VdiskSnapshotStatus previous) {
        if (!next.equals(previous)) {
            writer.writeStatus(VdiskSnapshot.class, s.getMetadata().getName(), next);
        }
        return next;
    }
}
