package dev.vdisk.kube.resource;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * A snapshot as its node agent last saw it.
 *
 * @param phase              Pending, Ready or Failed
 * @param observedGeneration the spec generation this status answers
 * @param sizeBytes          the source's size when it was taken
 * @param creationTime       when it was taken (RFC 3339)
 * @param readyToUse         true once it exists (snapshots need no upload)
 * @param groupId            the group snapshot it was taken in, null if none
 * @param dependents         clones that read through it (they keep its data after it is deleted)
 * @param failure            why the agent refused the spec (phase Failed), null otherwise
 * @param conditions         Kubernetes-style conditions
 */
public record VdiskSnapshotStatus(
        ResourcePhase phase,
        Long observedGeneration,
        long sizeBytes,
        String creationTime,
        boolean readyToUse,
        String groupId,
        List<String> dependents,
        Failure failure,
        List<Condition> conditions) {}
