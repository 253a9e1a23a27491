package dev.vdisk.controller.service;

import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which volume_capabilities a vdisk volume can honour: a single-node access mode (a vdisk lives in one node's pool),
 * and block or mount with ext4/xfs. The same rules as the Node service's, checked before anything is created.
 */
final class VolumeCapabilities {
    static final Set<String> FILESYSTEMS = Set.of("ext4", "xfs");

    /**
     * SINGLE_NODE_WRITER must be accepted next to the two newer modes (spec, SINGLE_NODE_MULTI_WRITER capability:
     * "Plugins MUST accept and allow use of the SINGLE_NODE_WRITER access mode").
     */
    private static final Set<Mode> SUPPORTED_MODES = Set.of(
            Mode.SINGLE_NODE_WRITER,
            Mode.SINGLE_NODE_READER_ONLY,
            Mode.SINGLE_NODE_SINGLE_WRITER,
            Mode.SINGLE_NODE_MULTI_WRITER);

    private VolumeCapabilities() {}

    /** Why {@code c} cannot be honoured, or empty when it can. */
    static Optional<String> problem(VolumeCapability c) {
        if (!c.hasAccessMode() || c.getAccessMode().getMode() == Mode.UNKNOWN) {
            return Optional.of("volume capability without access_mode");
        }
        Mode mode = c.getAccessMode().getMode();
        if (!SUPPORTED_MODES.contains(mode)) {
            return Optional.of(
                    "access mode " + mode + " is not supported: vdisk volumes are local to one node; use"
                            + " SINGLE_NODE_WRITER, SINGLE_NODE_READER_ONLY, SINGLE_NODE_SINGLE_WRITER or SINGLE_NODE_MULTI_WRITER");
        }
        return switch (c.getAccessTypeCase()) {
            case BLOCK -> Optional.empty();
            case MOUNT -> {
                String fs = c.getMount().getFsType();
                if (!fs.isEmpty() && !FILESYSTEMS.contains(fs)) {
                    yield Optional.of("fs_type " + fs + " is not supported: use ext4 or xfs");
                }
                if (!c.getMount().getVolumeMountGroup().isEmpty()) {
                    // VOLUME_MOUNT_GROUP is not advertised by the Node service
                    yield Optional.of("volume_mount_group is not supported");
                }
                yield Optional.empty();
            }
            case ACCESSTYPE_NOT_SET -> Optional.of("volume capability without access_type (block or mount)");
        };
    }

    /**
     * The first problem among GetCapacity's {@code caps}, if any. A capability without an access mode (UNKNOWN:
     * external-provisioners before v5 send it when they ask for capacity) stands for "any mode", not for an
     * impossible one: counting it as a problem made every CSIStorageCapacity 0, and the scheduler then refuses
     * every pod with a volume of this class.
     */
    static Optional<String> capacityProblem(List<VolumeCapability> caps) {
        return problem(caps.stream()
                .map(c -> c.hasAccessMode() && c.getAccessMode().getMode() != Mode.UNKNOWN
                        ? c
                        : c.toBuilder()
                                .setAccessMode(
                                        VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER))
                                .build())
                .toList());
    }

    /** The first problem among {@code caps}, if any. */
    static Optional<String> problem(List<VolumeCapability> caps) {
        return caps.stream()
                .map(VolumeCapabilities::problem)
                .flatMap(Optional::stream)
                .findFirst();
    }

    /**
     * Checks a REQUIRED repeated capability field: INVALID_ARGUMENT (IllegalArgumentException) when it is empty or
     * any capability cannot be honoured.
     */
    static void require(String field, List<VolumeCapability> caps) {
        if (caps.isEmpty()) {
            throw new IllegalArgumentException(field + " missing in request");
        }
        problem(caps).ifPresent(p -> {
            throw new IllegalArgumentException(field + ": " + p);
        });
    }

    /** The file systems the mount capabilities name (empty fs_type names none). */
    static Set<String> fsTypes(List<VolumeCapability> caps) {
        return Set.copyOf(caps.stream()
                .filter(VolumeCapability::hasMount)
                .map(c -> c.getMount().getFsType())
                .filter(fs -> !fs.isEmpty())
                .toList());
    }

    /** Whether every capability is a block one (then no file system needs growing after an expansion). */
    static boolean allBlock(List<VolumeCapability> caps) {
        return !caps.isEmpty() && caps.stream().allMatch(VolumeCapability::hasBlock);
    }
}
