package dev.vdisk.api.agent;

import java.util.List;

/**
 * Where a volume or snapshot sits in its pool's clone tree, and the space it holds ({@link LineageApi#lineage}).
 *
 * @param id                the volume or snapshot ID
 * @param snapshot          true for a snapshot
 * @param backingSnapshotId the snapshot whose data shows through its holes, empty when it reads through none (never
 *                          cloned, or split)
 * @param backingDeleted    the backing snapshot was deleted and lives on hidden, for its dependents only
 * @param chainDepth        snapshots it reads through ({@link SnapshotApi#chainDepth})
 * @param ownBytes          data referenced by it alone
 * @param sharedBytes       data it shares with other volumes or snapshots (its backing chain, its own snapshots)
 * @param dependents        for a snapshot: the volumes and snapshots that read through it directly (a deleted one
 *                          with the suffix {@code " (hidden)"}); empty for a volume
 */
public record AgentLineage(
        String id,
        boolean snapshot,
        String backingSnapshotId,
        boolean backingDeleted,
        int chainDepth,
        long ownBytes,
        long sharedBytes,
        List<String> dependents) {

    public AgentLineage {
        dependents = List.copyOf(dependents);
    }
}
