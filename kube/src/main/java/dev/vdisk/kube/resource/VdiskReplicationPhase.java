package dev.vdisk.kube.resource;

/** Where a {@link VdiskReplication} is. */
public enum VdiskReplicationPhase {
    /** Accepted; the volume and the target node are being looked up. */
    Pending,
    /** The source node is taking the snapshot to ship. */
    Snapshotting,
    /** The target node is pulling the snapshot: see percent, bytes and ETA. */
    Replicating,
    /** The newest snapshot is on the target; waiting for the next interval (or done, without one). */
    Current,
    /** Cannot go on; the conditions say why. A periodic replication retries at the next interval. */
    Failed
}
