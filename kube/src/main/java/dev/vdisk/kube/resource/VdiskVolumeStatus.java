package dev.vdisk.kube.resource;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Map;

/**
 * A volume as its node agent last saw it in the pool.
 *
 * @param phase              Pending, Ready or Failed
 * @param observedGeneration the spec generation this status answers
 * @param sizeBytes          its size in the pool
 * @param allocatedBytes     bytes it holds, its own and shared
 * @param sharedBytes        of those, bytes it reads through its backing snapshot
 * @param staged             staged on its node right now
 * @param chainDepth         snapshots it reads through (0 for an independent volume)
 * @param backingSnapshotId  the snapshot it reads through, null when independent (never cloned, or split)
 * @param attributes         the attributes stored with it in the pool
 * @param abnormal           why its data path is broken, null when healthy
 * @param split              its split, null if none ever ran
 * @param failure            why the agent refused the spec (phase Failed), null otherwise
 * @param conditions         Ready, Split, ... in Kubernetes' usual form
 */
public record VdiskVolumeStatus(
        ResourcePhase phase,
        Long observedGeneration,
        long sizeBytes,
        long allocatedBytes,
        long sharedBytes,
        boolean staged,
        int chainDepth,
        String backingSnapshotId,
        Map<String, String> attributes,
        String abnormal,
        SplitProgress split,
        Failure failure,
        List<Condition> conditions) {}
