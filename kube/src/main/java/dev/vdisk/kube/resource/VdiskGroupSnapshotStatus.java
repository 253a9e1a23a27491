package dev.vdisk.kube.resource;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * A group snapshot as its node agent last saw it.
 *
 * @param phase              Pending, Ready or Failed
 * @param observedGeneration the spec generation this status answers
 * @param creationTime       when it was taken (RFC 3339)
 * @param failure            why the agent refused the spec (phase Failed), null otherwise
 * @param conditions         Kubernetes-style conditions
 */
public record VdiskGroupSnapshotStatus(
        ResourcePhase phase,
        Long observedGeneration,
        String creationTime,
        Failure failure,
        List<Condition> conditions) {}
