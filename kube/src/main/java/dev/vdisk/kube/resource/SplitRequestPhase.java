package dev.vdisk.kube.resource;

/** Where a {@link SplitRequest} is. */
public enum SplitRequestPhase {
    /** Accepted; the PVC's volume is being looked up. */
    Pending,
    /** Waiting for a free split slot on the volume's node. */
    Queued,
    /** Splitting: see percent, bytes and throughput. */
    Running,
    /** The volume no longer reads through any snapshot. */
    Succeeded,
    /** Could not split; the conditions say why. Delete and re-create the request to retry. */
    Failed,
    /** Stopped at a consistent point (the request was deleted, or the split cancelled). */
    Cancelled
}
