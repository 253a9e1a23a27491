package dev.vdisk.node.service;

import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.vdisk.node.host.Filesystems;
import java.util.List;
import java.util.Set;

/**
 * A volume_capability this node can honour: block, or mount with ext4/xfs; a single-node access mode.
 * {@link #of} throws IllegalArgumentException (INVALID_ARGUMENT) for anything else.
 *
 * @param fsType ext4 or xfs for mount (when the capability leaves it empty: the volume_context's fsType, else ext4),
 *               empty for block
 */
record RequestedCapability(boolean block, String fsType, List<String> mountFlags, Mode mode) {

    /**
     * A vdisk lives on one node, so multi-node modes cannot be honoured. SINGLE_NODE_SINGLE_WRITER allows one
     * read-write publication at a time; SINGLE_NODE_WRITER and SINGLE_NODE_MULTI_WRITER allow several on this node.
     */
    private static final Set<Mode> SUPPORTED_MODES = Set.of(
            Mode.SINGLE_NODE_WRITER,
            Mode.SINGLE_NODE_READER_ONLY,
            Mode.SINGLE_NODE_SINGLE_WRITER,
            Mode.SINGLE_NODE_MULTI_WRITER);

    /** The volume_context key the controller echoes the StorageClass parameter {@code fsType} in. */
    static final String CONTEXT_FS_TYPE = "fsType";

    static RequestedCapability of(VolumeCapability c) {
        return of(c, "");
    }

    /**
     * @param contextFsType the volume_context's {@code fsType} (the StorageClass parameter), used when the capability
     *                      names no fs_type; empty for none (then ext4)
     */
    static RequestedCapability of(VolumeCapability c, String contextFsType) {
        if (!c.hasAccessMode() || c.getAccessMode().getMode() == Mode.UNKNOWN) {
            throw new IllegalArgumentException("volume_capability.access_mode missing in request");
        }
        Mode mode = c.getAccessMode().getMode();
        if (!SUPPORTED_MODES.contains(mode)) {
            throw new IllegalArgumentException("access mode " + mode + " is not supported: vdisk volumes are local to"
                    + " one node (use a SINGLE_NODE_* mode)");
        }
        return switch (c.getAccessTypeCase()) {
            case BLOCK -> new RequestedCapability(true, "", List.of(), mode);
            case MOUNT -> {
                String fs = c.getMount().getFsType();
                if (!fs.isEmpty() && !Filesystems.SUPPORTED.contains(fs)) {
                    throw new IllegalArgumentException("fs_type " + fs + " is not supported: use ext4 or xfs");
                }
                if (fs.isEmpty() && !contextFsType.isEmpty() && !Filesystems.SUPPORTED.contains(contextFsType)) {
                    throw new IllegalArgumentException("volume_context " + CONTEXT_FS_TYPE + " " + contextFsType
                            + " is not supported: use ext4 or xfs");
                }
                if (fs.isEmpty()) {
                    fs = contextFsType.isEmpty() ? Filesystems.DEFAULT : contextFsType;
                }
                if (!c.getMount().getVolumeMountGroup().isEmpty()) {
                    // we do not advertise VOLUME_MOUNT_GROUP, so a CO must not send it
                    throw new IllegalArgumentException("volume_mount_group is not supported by this plugin");
                }
                for (String flag : c.getMount().getMountFlagsList()) {
                    if (flag.isBlank() || flag.chars().anyMatch(Character::isWhitespace)) {
                        throw new IllegalArgumentException("mount flag '" + flag + "' is empty or contains whitespace");
                    }
                }
                yield new RequestedCapability(
                        false, fs, List.copyOf(c.getMount().getMountFlagsList()), mode);
            }
            case ACCESSTYPE_NOT_SET ->
                throw new IllegalArgumentException("volume_capability.access_type missing in request (block or mount)");
        };
    }

    String accessTypeName() {
        return block ? "block" : "mount";
    }
}
