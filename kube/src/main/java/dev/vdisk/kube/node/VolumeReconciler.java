package dev.vdisk.kube.node;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentLineage;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.PoolAgent;
import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.kube.reconcile.Conditions;
import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.reconcile.ObjectEvent;
import dev.vdisk.kube.resource.EventReasons;
import dev.vdisk.kube.resource.Failure;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.SplitProgress;
import dev.vdisk.kube.resource.SplitSpec;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeSpec;
import dev.vdisk.kube.resource.VdiskVolumeStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one VdiskVolume and the pool together, in this order: deletion (pool delete, then the finalizer), the
 * finalizer (before anything exists in the pool), the spec if this generation was not answered yet (create or clone,
 * grow, attributes, split start or cancel), then the status from what the pool now says, written only if it changed.
 * An answered generation (Ready or Failed at {@code observedGeneration == generation}) changes nothing in the pool:
 * it only refreshes what the pool reports (sizes, lineage, split progress), so a resync after a restart repeats no
 * work. Returns when to look again: while a split runs, a delete is refused, it waits for its source snapshot, or
 * a replica of a source snapshot on another node is pulled ({@link ReplicaRestore}).
 */
final class VolumeReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeReconciler.class);
    /** The Ready condition's reason while a remote snapshot's replica is pulled. */
    static final String REPLICATING = "Replicating";

    private final PoolAgent agent;
    private final ResourceWriter writer;
    private final EventRecorder events;
    private final NodeObjects objects;
    private final Clock clock;
    private final Duration poll;
    private final ReplicaRestore restore;

    VolumeReconciler(
            PoolAgent agent,
            ResourceWriter writer,
            EventRecorder events,
            NodeObjects objects,
            Clock clock,
            Duration poll,
            ReplicaRestore restore) {
        this.restore = restore;
        this.agent = agent;
        this.writer = writer;
        this.events = events;
        this.objects = objects;
        this.clock = clock;
        this.poll = poll;
    }

    /** @param previous the status this agent last wrote, or the object's own (after a restart) */
    Outcome<VdiskVolumeStatus> reconcile(VdiskVolume v, VdiskVolumeStatus previous) {
        String name = v.getMetadata().getName();
        if (v.getMetadata().getDeletionTimestamp() != null) {
            return delete(v, previous);
        }
        if (!ResourceWriter.hasFinalizer(v)) {
            v = writer.addFinalizer(VdiskVolume.class, name);
            if (v == null) {
                return Outcome.done(previous);
            }
        }
        Long generation = v.getMetadata().getGeneration();
        boolean answered = previous != null
                && previous.phase() != ResourcePhase.Pending
                && Objects.equals(previous.observedGeneration(), generation);
        if (answered && previous.phase() == ResourcePhase.Failed) {
            return Outcome.done(previous); // refused for this generation; a new spec retries
        }
        Failure failure = null;
        SplitProgress splitRefusal = null;
        if (!answered) {
            VdiskVolumeSpec spec = v.getSpec();
            Optional<AgentVolume> existing = agent.getVolume(name);
            if (existing.isEmpty() && ReplicaRestore.remote(spec)) {
                boolean here = agent.getSnapshot(spec.sourceSnapshotId()).isPresent();
                switch (here ? restore.arrived(v, pulling(previous)) : restore.step(v, pulling(previous))) {
                    case ReplicaRestore.Pulling p -> {
                        return Outcome.again(write(v, replicating(v, previous, p.message()), previous), poll);
                    }
                    case ReplicaRestore.Refused r -> {
                        VdiskVolumeStatus next = observe(v, previous, false, r.failure(), null);
                        write(v, next, previous);
                        return Outcome.done(next);
                    }
                    case ReplicaRestore.Here _ -> {
                        // the replica's snapshot is in the pool: clone it below like a local one
                    }
                }
            }
            if (existing.isEmpty() && spec.sourceSnapshotId() != null && waitingForSnapshot(spec.sourceSnapshotId())) {
                return Outcome.again(
                        write(v, pending(v, previous, "waiting for snapshot " + spec.sourceSnapshotId()), previous),
                        poll);
            }
            try {
                apply(name, spec, existing);
            } catch (AgentException e) {
                failure = new Failure(e.reason().name(), e.getMessage());
                LOG.warn("volume {} generation {} refused: {} {}", name, generation, e.reason(), e.getMessage());
                events.record(
                        v,
                        ObjectEvent.warning(
                                existing.isEmpty() ? EventReasons.PROVISIONING_FAILED : EventReasons.UPDATE_FAILED,
                                e.reason() + ": " + e.getMessage()));
            }
            if (failure == null && spec.split() != null) {
                splitRefusal = split(name, spec.split());
            }
        }
        if (answered && failure == null && agent.getVolume(name).isEmpty()) {
            // it was there for this generation and is gone: never re-create it empty behind its user's back
            failure = new Failure("NOT_FOUND", "the pool no longer has volume " + name + "; it was Ready before");
            LOG.error("volume {} disappeared from the pool", name);
            events.record(v, ObjectEvent.warning(EventReasons.VOLUME_LOST, failure.message()));
        }
        VdiskVolumeStatus next = observe(v, previous, answered, failure, splitRefusal);
        write(v, next, previous);
        return SplitTracking.active(next.split()) ? Outcome.again(next, poll) : Outcome.done(next);
    }

    private void apply(String name, VdiskVolumeSpec spec, Optional<AgentVolume> existing) {
        Map<String, String> attributes = spec.attributes() == null ? Map.of() : spec.attributes();
        AgentVolume vol;
        if (existing.isPresent()) {
            vol = existing.get();
        } else if (spec.sourceSnapshotId() != null) {
            vol = agent.cloneVolume(name, spec.sourceSnapshotId(), spec.sizeBytes(), attributes);
        } else {
            vol = agent.createVolume(name, spec.sizeBytes(), attributes);
        }
        if (spec.sizeBytes() > vol.sizeBytes()) {
            vol = agent.resizeVolume(name, spec.sizeBytes());
        }
        Map<String, String> stored = vol.attributes();
        if (attributes.entrySet().stream().anyMatch(e -> !e.getValue().equals(stored.get(e.getKey())))) {
            agent.updateAttributes(name, attributes);
        }
    }

    /** Starts or cancels the split; returns the refusal as a failed split, null if the agent accepted. */
    private SplitProgress split(String name, SplitSpec split) {
        try {
            if (split.cancel()) {
                agent.cancelSplit(name);
            } else {
                agent.startSplit(name, split.mode(), split.rateBytesPerSecond());
            }
            return null;
        } catch (AgentException e) {
            LOG.warn("split of volume {} refused: {} {}", name, e.reason(), e.getMessage());
            return SplitTracking.refused(split.mode(), e.reason().name(), e.getMessage(), clock.instant());
        }
    }

    /** A clone whose snapshot is still being taken on this node waits for it instead of failing NOT_FOUND. */
    private boolean waitingForSnapshot(String snapshotId) {
        return agent.getSnapshot(snapshotId).isEmpty()
                && objects.snapshot(snapshotId)
                        .filter(s -> s.getMetadata().getDeletionTimestamp() == null)
                        .filter(s -> s.getStatus() == null || s.getStatus().phase() != ResourcePhase.Failed)
                        .isPresent();
    }

    private Outcome<VdiskVolumeStatus> delete(VdiskVolume v, VdiskVolumeStatus previous) {
        String name = v.getMetadata().getName();
        if (!ResourceWriter.hasFinalizer(v)) {
            return Outcome.done(previous);
        }
        try {
            agent.deleteVolume(name);
        } catch (AgentException e) {
            // the pool still has it (staged, most likely): keep the finalizer, say why, try again later
            Failure failure = new Failure(e.reason().name(), e.getMessage());
            boolean news = previous == null || !failure.equals(previous.failure());
            VdiskVolumeStatus next = withFailure(previous, v, failure);
            write(v, next, previous);
            if (news) {
                LOG.warn("volume {} not deleted yet: {} {}", name, e.reason(), e.getMessage());
                events.record(v, ObjectEvent.warning(EventReasons.DELETE_FAILED, e.reason() + ": " + e.getMessage()));
            }
            return Outcome.again(next, poll);
        }
        writer.removeFinalizer(VdiskVolume.class, name);
        LOG.info("volume {} deleted from the pool; finalizer removed", name);
        return Outcome.removed();
    }

    /**
     * The status from what the pool says now. The lineage (a walk over the whole pool's maps) is asked for only when
     * it can have changed: a new generation, or a split that moved; an answered volume's resync reuses the previous
     * values (so a resync of many volumes does not walk the pool once per volume; sharedBytes may lag meanwhile).
     */
    private VdiskVolumeStatus observe(
            VdiskVolume v, VdiskVolumeStatus previous, boolean answered, Failure failure, SplitProgress splitRefusal) {
        String name = v.getMetadata().getName();
        Instant now = clock.instant();
        Optional<AgentVolume> vol = agent.getVolume(name);
        SplitProgress before = previous == null ? null : previous.split();
        SplitProgress split = splitRefusal != null
                ? splitRefusal
                : agent.splitStatus(name)
                        .map(s -> SplitTracking.progress(s, before, now))
                        .orElse(before);
        boolean lineageMoved = !answered
                || previous.phase() != ResourcePhase.Ready
                || SplitTracking.active(split)
                || !Objects.equals(split, before);
        LineageFields lineage = vol.isEmpty()
                ? LineageFields.NONE
                : lineageMoved
                        ? lineage(name).map(LineageFields::of).orElse(LineageFields.NONE)
                        : new LineageFields(
                                previous.sharedBytes(), previous.chainDepth(), previous.backingSnapshotId());
        String requestedBy =
                v.getSpec().split() == null ? "" : v.getSpec().split().requestedBy();
        for (ObjectEvent m : SplitTracking.passed(before, split, requestedBy)) {
            LOG.info("volume {} split: {} {}", name, m.reason(), m.message());
            events.record(v, m);
        }
        ResourcePhase phase =
                failure != null ? ResourcePhase.Failed : vol.isPresent() ? ResourcePhase.Ready : ResourcePhase.Pending;
        Conditions conditions = new Conditions(
                previous == null ? null : previous.conditions(), v.getMetadata().getGeneration(), now);
        switch (phase) {
            case Ready -> conditions.set("Ready", true, "InPool", "the pool has the volume as the spec says");
            case Failed -> conditions.set("Ready", false, failure.reason(), failure.message());
            case Pending -> conditions.set("Ready", false, "Missing", "the pool has no volume " + name);
        }
        if (split != null) {
            conditions.set(
                    "Split",
                    SplitStatus.DONE.equals(split.phase()),
                    split.phase(),
                    split.message().isEmpty()
                            ? split.mode() + " split " + split.phase().toLowerCase() + " at " + split.percent() + "%"
                            : split.message());
        }
        return new VdiskVolumeStatus(
                phase,
                v.getMetadata().getGeneration(),
                vol.map(AgentVolume::sizeBytes).orElse(0L),
                vol.map(AgentVolume::allocatedBytes).orElse(0L),
                lineage.sharedBytes(),
                vol.map(AgentVolume::staged).orElse(false),
                lineage.chainDepth(),
                lineage.backingSnapshotId(),
                vol.map(AgentVolume::attributes).orElse(null),
                vol.flatMap(AgentVolume::abnormal).orElse(null),
                split,
                failure,
                conditions.build());
    }

    /** The lineage part of a volume's status. */
    private record LineageFields(long sharedBytes, int chainDepth, String backingSnapshotId) {
        static final LineageFields NONE = new LineageFields(0, 0, null);

        static LineageFields of(AgentLineage l) {
            // a split clone's backing link can outlive the split until the pool's next checkpoint; depth is exact
            String backing = l.chainDepth() > 0 && !l.backingSnapshotId().isEmpty() ? l.backingSnapshotId() : null;
            return new LineageFields(l.sharedBytes(), l.chainDepth(), backing);
        }
    }

    private Optional<AgentLineage> lineage(String name) {
        return agent.lineage(name);
    }

    private VdiskVolumeStatus pending(VdiskVolume v, VdiskVolumeStatus previous, String why) {
        Conditions c = new Conditions(
                        previous == null ? null : previous.conditions(),
                        v.getMetadata().getGeneration(),
                        clock.instant())
                .set("Ready", false, "Waiting", why);
        return new VdiskVolumeStatus(
                ResourcePhase.Pending,
                v.getMetadata().getGeneration(),
                0,
                0,
                0,
                false,
                0,
                null,
                null,
                null,
                previous == null ? null : previous.split(),
                null,
                c.build());
    }

    private static boolean pulling(VdiskVolumeStatus s) {
        return s != null
                && s.conditions() != null
                && s.conditions().stream()
                        .anyMatch(c -> c.getType().equals("Ready") && REPLICATING.equals(c.getReason()));
    }

    /**
     * Pending while the replica of a remote snapshot is pulled: no observedGeneration, so the controller keeps
     * waiting for the answer (and a retried CreateVolume finds the request again) instead of taking it as settled.
     */
    private VdiskVolumeStatus replicating(VdiskVolume v, VdiskVolumeStatus previous, String message) {
        Conditions c = new Conditions(
                        previous == null ? null : previous.conditions(),
                        v.getMetadata().getGeneration(),
                        clock.instant())
                .set("Ready", false, REPLICATING, message);
        return new VdiskVolumeStatus(
                ResourcePhase.Pending, null, 0, 0, 0, false, 0, null, null, null, null, null, c.build());
    }

    private VdiskVolumeStatus withFailure(VdiskVolumeStatus p, VdiskVolume v, Failure failure) {
        Conditions c = new Conditions(
                        p == null ? null : p.conditions(), v.getMetadata().getGeneration(), clock.instant())
                .set("Ready", false, "DeleteRefused:" + failure.reason(), failure.message());
        return p == null
                ? new VdiskVolumeStatus(
                        ResourcePhase.Failed,
                        v.getMetadata().getGeneration(),
                        0,
                        0,
                        0,
                        false,
                        0,
                        null,
                        null,
                        null,
                        null,
                        failure,
                        c.build())
                : new VdiskVolumeStatus(
                        p.phase(),
                        p.observedGeneration(),
                        p.sizeBytes(),
                        p.allocatedBytes(),
                        p.sharedBytes(),
                        p.staged(),
                        p.chainDepth(),
                        p.backingSnapshotId(),
                        p.attributes(),
                        p.abnormal(),
                        p.split(),
                        failure,
                        c.build());
    }

    private VdiskVolumeStatus write(VdiskVolume v, VdiskVolumeStatus next, VdiskVolumeStatus previous) {
        if (!next.equals(previous)) {
            writer.writeStatus(VdiskVolume.class, v.getMetadata().getName(), next);
        }
        return next;
    }
}
