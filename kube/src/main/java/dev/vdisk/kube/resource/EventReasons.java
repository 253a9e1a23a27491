package dev.vdisk.kube.resource;

/**
 * Every reason our Events carry, one scheme: UpperCamelCase, the thing then what happened to it ({@code SplitStarted},
 * {@code DeleteFailed}), as Kubernetes' own ({@code ProvisioningFailed}). Users and tests match on them: never rename
 * one.
 */
public final class EventReasons {

    /** The node agent could not create or clone a VdiskVolume in its pool. */
    public static final String PROVISIONING_FAILED = "ProvisioningFailed";
    /** The node agent could not grow a volume or update its attributes. */
    public static final String UPDATE_FAILED = "UpdateFailed";
    /** A volume that was Ready is gone from the pool. */
    public static final String VOLUME_LOST = "VolumeLost";
    /** The pool refused a volume's deletion (staged, most likely); the finalizer stays. */
    public static final String DELETE_FAILED = "DeleteFailed";
    /** A snapshot or group snapshot was refused. */
    public static final String SNAPSHOT_FAILED = "SnapshotFailed";

    public static final String SPLIT_STARTED = "SplitStarted";
    /** 25, 50 or 75 % of the split's data relocated. */
    public static final String SPLIT_PROGRESS = "SplitProgress";

    public static final String SPLIT_PAUSED = "SplitPaused";
    public static final String SPLIT_COMPLETED = "SplitCompleted";
    public static final String SPLIT_CANCELLED = "SplitCancelled";
    /** A split failed, was refused, or was asked for with a bad annotation. */
    public static final String SPLIT_FAILED = "SplitFailed";

    /** A node agent started pulling a replica of another node's snapshot for a clone (restore anywhere). */
    public static final String REPLICATION_STARTED = "ReplicationStarted";
    /** The replica of another node's snapshot is complete in this node's pool. */
    public static final String REPLICATED = "Replicated";

    private EventReasons() {}
}
