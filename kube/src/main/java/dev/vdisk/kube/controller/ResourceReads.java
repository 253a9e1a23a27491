package dev.vdisk.kube.controller;

import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.VdiskGroupSnapshot;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskVolume;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the pools hold, read from the resources (an index by name: one GET per lookup, not a question to every
 * agent). A volume or snapshot counts once its node agent has it in the pool (status sizeBytes above 0, snapshot
 * readyToUse) and until its deletion was asked for; one whose spec the agent has not answered yet is waited for
 * (bounded), so a retried CSI call picks up the request the first one left.
 */
final class ResourceReads {

    private final KubernetesClient client;
    private final ResourceWait wait;

    ResourceReads(KubernetesClient client, ResourceWait wait) {
        this.client = client;
        this.wait = wait;
    }

    MixedOperation<VdiskVolume, KubernetesResourceList<VdiskVolume>, Resource<VdiskVolume>> volumes() {
        return client.resources(VdiskVolume.class);
    }

    MixedOperation<VdiskSnapshot, KubernetesResourceList<VdiskSnapshot>, Resource<VdiskSnapshot>> snapshots() {
        return client.resources(VdiskSnapshot.class);
    }

    MixedOperation<VdiskGroupSnapshot, KubernetesResourceList<VdiskGroupSnapshot>, Resource<VdiskGroupSnapshot>>
            groups() {
        return client.resources(VdiskGroupSnapshot.class);
    }

    MixedOperation<VdiskNode, KubernetesResourceList<VdiskNode>, Resource<VdiskNode>> nodes() {
        return client.resources(VdiskNode.class);
    }

    ResourceWait waiter() {
        return wait;
    }

    /** The volume if its pool has it; waits for an unanswered spec first. */
    Optional<VdiskVolume> volume(String id) {
        Resource<VdiskVolume> r = volumes().withName(id);
        VdiskVolume v = r.get();
        if (v != null && !settled(v)) {
            v = wait.until(r, ResourceReads::settled, "volume " + id);
        }
        return Optional.ofNullable(v).filter(x -> !ResourceWait.terminating(x) && inPool(x));
    }

    /** Volumes in the pools (of one node, or all), sorted by ID; no waiting. */
    List<VdiskVolume> volumesIn(Optional<String> node) {
        var op = node.isPresent()
                ? volumes().withLabel(ResourceKeys.NODE_LABEL, ResourceKeys.nodeLabelValue(node.get()))
                : volumes();
        return op.list().getItems().stream()
                .filter(v -> !ResourceWait.terminating(v) && inPool(v))
                .sorted(Comparator.comparing(v -> v.getMetadata().getName()))
                .toList();
    }

    Optional<VdiskSnapshot> snapshot(String id) {
        Resource<VdiskSnapshot> r = snapshots().withName(id);
        VdiskSnapshot s = r.get();
        if (s != null && !settled(s)) {
            s = wait.until(r, ResourceReads::settled, "snapshot " + id);
        }
        return Optional.ofNullable(s).filter(x -> !ResourceWait.terminating(x) && inPool(x));
    }

    List<VdiskSnapshot> snapshotsIn(Optional<String> node) {
        var op = node.isPresent()
                ? snapshots().withLabel(ResourceKeys.NODE_LABEL, ResourceKeys.nodeLabelValue(node.get()))
                : snapshots();
        return op.list().getItems().stream()
                .filter(s -> !ResourceWait.terminating(s) && inPool(s))
                .sorted(Comparator.comparing(s -> s.getMetadata().getName()))
                .toList();
    }

    static boolean inPool(VdiskVolume v) {
        return v.getStatus() != null && v.getStatus().sizeBytes() > 0;
    }

    static boolean inPool(VdiskSnapshot s) {
        return s.getStatus() != null && s.getStatus().readyToUse();
    }

    /** The node agent refused the current spec (status.failure says why). */
    static boolean refused(VdiskVolume v) {
        return v.getStatus() != null
                && v.getStatus().phase() == ResourcePhase.Failed
                && v.getStatus().failure() != null;
    }

    static boolean settled(VdiskVolume v) {
        return ResourceWait.settled(
                v, v == null || v.getStatus() == null ? null : v.getStatus().observedGeneration());
    }

    static boolean settled(VdiskSnapshot s) {
        return ResourceWait.settled(
                s, s == null || s.getStatus() == null ? null : s.getStatus().observedGeneration());
    }

    static boolean settled(VdiskGroupSnapshot g) {
        return ResourceWait.settled(
                g, g == null || g.getStatus() == null ? null : g.getStatus().observedGeneration());
    }

    static String name(HasMetadata r) {
        return r.getMetadata().getName();
    }
}
