package dev.vdisk.kube.split;

import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.SplitProgress;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestStatus;
import dev.vdisk.kube.resource.SplitSpec;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeStatus;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one split request one step closer to done. Reads the request and its volume fresh from the API server (the
 * informers only say when to look), so two requests for one PVC, looked at one after the other by the single worker,
 * cannot both be accepted.
 *
 * <ol>
 *   <li>A new request gets the finalizer {@code vdisk.csi.dev/split} first, so its deletion is always seen.</li>
 *   <li>Accepting: PVC → PV → volume handle → VdiskVolume; refused if no clone of ours, or if another split holds
 *       the volume (Rejected); else {@code spec.split} is set with {@code requestedBy = "SplitRequest NS/NAME"}.</li>
 *   <li>Following: once the node agent has seen the volume's current generation, its {@code status.split} is mirrored
 *       into the request's status with Events on the PVC; when it is final, {@code spec.split} is set back to null.</li>
 *   <li>Deleting while it runs sets {@code spec.split.cancel}; the finalizer goes once the node reports the split
 *       stopped (at once when nothing runs). A node that is down keeps the request until it is back.</li>
 * </ol>
 */
final class SplitReconciler {

    /** How soon a request waiting for its PVC or volume is looked at again (PVC events also wake it). */
    static final Duration WAIT_RETRY = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(SplitReconciler.class);

    private final PvcVolumeResolver resolver;
    private final SplitRequestWrites writes;
    private final Clock clock;

    SplitReconciler(KubernetesClient client, String driverName, EventRecorder events, Clock clock) {
        this.resolver = new PvcVolumeResolver(client, driverName);
        this.writes = new SplitRequestWrites(client, events);
        this.clock = clock;
    }

    /** @return when to look again, or null to wait for the next change */
    Duration reconcile(String namespace, String name) {
        SplitRequest request = writes.request(namespace, name);
        if (request == null) {
            return null;
        }
        SplitOwner owner = SplitOwner.of(request);
        if (request.getMetadata().getDeletionTimestamp() != null) {
            return reconcileDeletion(request, owner);
        }
        if (!request.hasFinalizer(ResourceKeys.SPLIT_FINALIZER)) {
            request = writes.finalizer(request, true);
        }
        SplitRequestStatus status = request.getStatus();
        if (SplitStatusMirror.terminal(status)) {
            releaseVolume(status.volumeId(), owner);
            return null;
        }
        if (status == null || status.volumeId() == null) {
            return accept(request, owner);
        }
        follow(request, owner, writes.volume(status.volumeId()));
        return null;
    }

    private Duration accept(SplitRequest request, SplitOwner owner) {
        String pvcName = request.getSpec().pvcName();
        long generation = generation(request);
        PvcResolution resolution = resolver.resolve(owner.namespace(), pvcName);
        switch (resolution) {
            case PvcResolution.Waiting w -> {
                writes.status(
                        request,
                        SplitStatusMirror.waiting(
                                request.getStatus(), generation, w.reason(), w.message(), clock.instant()),
                        null);
                return WAIT_RETRY;
            }
            case PvcResolution.Refused f -> {
                refuse(request, f.pvc(), null, f.reason(), f.message());
                return null;
            }
            case PvcResolution.Found found -> {
                return acceptVolume(request, owner, found.pvc(), found.volumeId());
            }
        }
    }

    private Duration acceptVolume(SplitRequest request, SplitOwner owner, PersistentVolumeClaim pvc, String volumeId) {
        long generation = generation(request);
        String pvcRef = owner.namespace() + "/" + pvc.getMetadata().getName();
        VdiskVolume volume = writes.volume(volumeId);
        if (volume == null) {
            writes.status(
                    request,
                    SplitStatusMirror.waiting(
                            request.getStatus(),
                            generation,
                            "VolumeNotFound",
                            "volume " + volumeId + " of PVC " + pvcRef + " has no VdiskVolume yet",
                            clock.instant()),
                    null);
            return WAIT_RETRY;
        }
        SplitSpec current = volume.getSpec().split();
        if (current != null && !owner.owns(current) && splitActive(volume)) {
            refuse(
                    request,
                    pvc,
                    volumeId,
                    "Rejected",
                    "volume " + volumeId + " of PVC " + pvcRef + " is already being split (" + current.requestedBy()
                            + "); wait for it to finish");
            return null;
        }
        VdiskVolumeStatus vs = volume.getStatus();
        if (vs == null || vs.phase() == ResourcePhase.Pending) {
            writes.status(
                    request,
                    SplitStatusMirror.waiting(
                            request.getStatus(),
                            generation,
                            "VolumeNotReady",
                            "volume " + volumeId + " is not in its node's pool yet",
                            clock.instant()),
                    null);
            return WAIT_RETRY;
        }
        if (vs.backingSnapshotId() == null || vs.backingSnapshotId().isEmpty()) {
            refuse(
                    request,
                    pvc,
                    volumeId,
                    "NotAClone",
                    "volume " + volumeId + " of PVC " + pvcRef
                            + " reads through no snapshot (never cloned, or already split): nothing to split");
            return null;
        }
        Long rate = request.getSpec().rateBytesPerSecond();
        SplitSpec split = new SplitSpec(request.getSpec().mode(), rate == null ? 0 : rate, false, owner.requestedBy());
        writes.volumeSplit(volumeId, split);
        LOG.info(
                "split request {}/{}: volume {} ({}) on node {} gets split {} rate {} B/s",
                owner.namespace(),
                owner.name(),
                volumeId,
                pvcRef,
                volume.getSpec().nodeName(),
                split.mode(),
                split.rateBytesPerSecond());
        writes.status(
                request,
                SplitStatusMirror.accepted(
                        request.getStatus(),
                        generation,
                        volumeId,
                        "splitting volume "
                                + volumeId + " of PVC " + pvcRef + " off snapshot " + vs.backingSnapshotId()
                                + " on node "
                                + volume.getSpec().nodeName(),
                        clock.instant()),
                pvc);
        return null;
    }

    /** Mirrors the node agent's report; when the split is final, sets the volume's spec.split back to null. */
    private void follow(SplitRequest request, SplitOwner owner, VdiskVolume volume) {
        SplitRequestStatus old = request.getStatus();
        long generation = generation(request);
        if (volume == null) {
            refuse(
                    request,
                    null,
                    old.volumeId(),
                    "VolumeNotFound",
                    "volume " + old.volumeId() + " was deleted during the split");
            return;
        }
        SplitSpec split = volume.getSpec().split();
        if (!owner.owns(split)) {
            refuse(
                    request,
                    null,
                    old.volumeId(),
                    "SplitReplaced",
                    "volume " + old.volumeId()
                            + "'s split is no longer this request's (now: "
                            + (split == null ? "none" : split.requestedBy()) + ")");
            return;
        }
        SplitRequestStatus next = fromVolume(old, generation, volume);
        if (next == null) {
            return;
        }
        writes.status(request, next, null);
        if (SplitStatusMirror.terminal(next)) {
            releaseVolume(old.volumeId(), owner);
        }
    }

    /** The request's next status from a volume whose spec.split is its own; null while there is no news. */
    private SplitRequestStatus fromVolume(SplitRequestStatus old, long generation, VdiskVolume volume) {
        VdiskVolumeStatus vs = volume.getStatus();
        // status.split answers this request only once the agent has seen the generation that carries it
        if (vs == null
                || !Objects.equals(vs.observedGeneration(), volume.getMetadata().getGeneration())) {
            return null;
        }
        SplitProgress progress = vs.split();
        boolean fresh = progress != null && !SplitStatusMirror.finished(progress);
        if (!fresh && vs.phase() == ResourcePhase.Failed && vs.failure() != null) {
            return SplitStatusMirror.failed(
                    old,
                    generation,
                    old.volumeId(),
                    vs.failure().reason(),
                    vs.failure().message(),
                    clock.instant());
        }
        if (progress == null) {
            return null;
        }
        return SplitStatusMirror.fromProgress(old, generation, old.volumeId(), progress, clock.instant());
    }

    private Duration reconcileDeletion(SplitRequest request, SplitOwner owner) {
        if (!request.hasFinalizer(ResourceKeys.SPLIT_FINALIZER)) {
            return null;
        }
        SplitRequestStatus status = request.getStatus();
        if (status != null && status.volumeId() != null && !SplitStatusMirror.terminal(status)) {
            VdiskVolume volume = writes.volume(status.volumeId());
            if (volume != null && owner.owns(volume.getSpec().split())) {
                SplitSpec split = volume.getSpec().split();
                if (!split.cancel()) {
                    writes.volumeSplit(
                            status.volumeId(),
                            new SplitSpec(split.mode(), split.rateBytesPerSecond(), true, split.requestedBy()));
                    LOG.info(
                            "split request {}/{} deleted: cancelling the split of volume {}",
                            owner.namespace(),
                            owner.name(),
                            status.volumeId());
                    return null;
                }
                VdiskVolumeStatus vs = volume.getStatus();
                boolean seen = vs != null
                        && Objects.equals(
                                vs.observedGeneration(), volume.getMetadata().getGeneration());
                boolean stopped = seen
                        && (vs.split() == null
                                || SplitStatusMirror.finished(vs.split())
                                || vs.phase() == ResourcePhase.Failed);
                if (!stopped) {
                    return null; // the node agent's next status wakes us
                }
                SplitRequestStatus next = fromVolume(status, generation(request), volume);
                if (next != null && SplitStatusMirror.terminal(next)) {
                    writes.status(request, next, null);
                } else {
                    writes.status(request, cancelled(status, request), null);
                }
                releaseVolume(status.volumeId(), owner);
            } else {
                writes.status(request, cancelled(status, request), null);
            }
        } else if (status != null && SplitStatusMirror.terminal(status)) {
            releaseVolume(status.volumeId(), owner);
        }
        writes.finalizer(request, false);
        LOG.info("split request {}/{}: finalizer removed", owner.namespace(), owner.name());
        return null;
    }

    private SplitRequestStatus cancelled(SplitRequestStatus status, SplitRequest request) {
        SplitProgress stopped = new SplitProgress(
                request.getSpec().mode(),
                "CANCELLED",
                status.percent(),
                0,
                0,
                status.bytesRelocated(),
                0,
                0,
                "",
                status.startTime(),
                null);
        return SplitStatusMirror.fromProgress(status, generation(request), status.volumeId(), stopped, clock.instant());
    }

    private void refuse(
            SplitRequest request, PersistentVolumeClaim pvc, String volumeId, String reason, String message) {
        LOG.info(
                "split request {}/{} failed: {}: {}",
                request.getMetadata().getNamespace(),
                request.getMetadata().getName(),
                reason,
                message);
        writes.status(
                request,
                SplitStatusMirror.failed(
                        request.getStatus(), generation(request), volumeId, reason, message, clock.instant()),
                pvc);
    }

    /** Sets the volume's spec.split back to null once this request's split is over (a no-op if it is not ours). */
    private void releaseVolume(String volumeId, SplitOwner owner) {
        if (volumeId == null) {
            return;
        }
        VdiskVolume volume = writes.volume(volumeId);
        if (volume != null && owner.owns(volume.getSpec().split())) {
            writes.volumeSplit(volumeId, null);
            LOG.info("split request {}/{}: volume {} spec.split cleared", owner.namespace(), owner.name(), volumeId);
        }
    }

    /** Someone else's split holds the volume until the node reports it final. */
    private static boolean splitActive(VdiskVolume volume) {
        SplitSpec split = volume.getSpec().split();
        if (split == null || split.cancel()) {
            return false;
        }
        VdiskVolumeStatus vs = volume.getStatus();
        boolean seen = vs != null
                && Objects.equals(vs.observedGeneration(), volume.getMetadata().getGeneration());
        return !(seen && (SplitStatusMirror.finished(vs.split()) || vs.phase() == ResourcePhase.Failed));
    }

    private static long generation(SplitRequest request) {
        Long g = request.getMetadata().getGeneration();
        return g == null ? 0 : g;
    }
}
