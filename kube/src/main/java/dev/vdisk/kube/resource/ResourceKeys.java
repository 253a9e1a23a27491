package dev.vdisk.kube.resource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Label, annotation and finalizer keys of vdisk-csi's resources, and the API group they live in. */
public final class ResourceKeys {

    /** API group of every vdisk-csi resource. */
    public static final String GROUP = "vdisk.csi.dev";

    /** API version of every vdisk-csi resource. */
    public static final String VERSION = "v1alpha1";

    /**
     * Label naming the node whose agent owns a volume, snapshot or group snapshot: lets agents watch only theirs. Its
     * value is {@link #nodeLabelValue} of the node ID.
     */
    public static final String NODE_LABEL = GROUP + "/node";

    /** A label value the API server accepts (apimachinery IsValidLabelValue, without the length). */
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");

    /** Held by the owning node agent until the pool no longer has the object, so a down node loses nothing. */
    public static final String NODE_AGENT_FINALIZER = GROUP + "/node-agent";

    /** Held by the controller on a SplitRequest until the split it started is cancelled or finished. */
    public static final String SPLIT_FINALIZER = GROUP + "/split";

    /** PVC annotation whose value ({@code share} or {@code copy}) starts a split of the PVC's volume. */
    public static final String SPLIT_ANNOTATION = GROUP + "/split";

    private ResourceKeys() {}

    /**
     * The {@link #NODE_LABEL} value of a node: the node ID itself when it is a valid label value (at most 63
     * characters), else its first 30 characters, '-' and 32 hex digits of its SHA-256. A Kubernetes node name may
     * have 253 characters; as a label value it would make the API server refuse (422) every resource of that node.
     */
    public static String nodeLabelValue(String nodeId) {
        if (nodeId.length() <= 63 && LABEL_VALUE.matcher(nodeId).matches()) {
            return nodeId;
        }
        String prefix = nodeId.substring(0, Math.min(30, nodeId.length()))
                .replaceAll("[^-A-Za-z0-9_.]", "-")
                .replaceAll("[^A-Za-z0-9]+$", "")
                .replaceAll("^[^A-Za-z0-9]+", "");
        try {
            String hash = HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(nodeId.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 32);
            return prefix.isEmpty() ? hash : prefix + "-" + hash;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
