package dev.vdisk.kube.resource;

/** Label, annotation and finalizer keys of vdisk-csi's resources, and the API group they live in. */
public final class ResourceKeys {

    /** API group of every vdisk-csi resource. */
    public static final String GROUP = "vdisk.csi.dev";

    /** API version of every vdisk-csi resource. */
    public static final String VERSION = "v1alpha1";

    /** Label naming the node whose agent owns a volume, snapshot or group snapshot: lets agents watch only theirs. */
    public static final String NODE_LABEL = GROUP + "/node";

    /** Held by the owning node agent until the pool no longer has the object, so a down node loses nothing. */
    public static final String NODE_AGENT_FINALIZER = GROUP + "/node-agent";

    /** Held by the controller on a SplitRequest until the split it started is cancelled or finished. */
    public static final String SPLIT_FINALIZER = GROUP + "/split";

    /** PVC annotation whose value ({@code share} or {@code copy}) starts a split of the PVC's volume. */
    public static final String SPLIT_ANNOTATION = GROUP + "/split";

    private ResourceKeys() {
    }
}
