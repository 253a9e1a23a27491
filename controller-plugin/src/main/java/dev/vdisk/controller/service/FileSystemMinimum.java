package dev.vdisk.controller.service;

import csi.v1.VolumeCapability;
import java.util.List;
import java.util.Map;

/**
 * The smallest volume the node can make the volume's file system on, so that CreateVolume does not hand out a
 * volume whose NodeStageVolume can only fail. Measured with the node's tools (xfsprogs 6.1, e2fsprogs 1.47):
 * mkfs.xfs refuses anything below 300 MiB ("Filesystem must be larger than 300MB."); mkfs.ext4 makes no journal
 * below 2 MiB and nothing at all below about 128 KiB. A block-only volume has no file system and no minimum.
 *
 * @param fsType the file system a mount volume will get (empty for block only)
 * @param bytes  its smallest size, 0 for none
 */
record FileSystemMinimum(String fsType, long bytes) {
    static final FileSystemMinimum NONE = new FileSystemMinimum("", 0);
    /** What the node formats when neither the capability nor the parameters name a file system. */
    static final String NODE_DEFAULT = "ext4";

    private static final Map<String, Long> BYTES = Map.of("ext4", 2L << 20, "xfs", 300L << 20);

    /** The file system the node will make: the capabilities' fs_type, else the fsType parameter, else ext4. */
    static FileSystemMinimum of(List<VolumeCapability> caps, VolumeParameters params) {
        if (caps.stream().noneMatch(VolumeCapability::hasMount)) {
            return NONE;
        }
        String fs = VolumeCapabilities.fsTypes(caps).stream()
                .findFirst()
                .or(params::fsType)
                .orElse(NODE_DEFAULT);
        return new FileSystemMinimum(fs, BYTES.getOrDefault(fs, 0L));
    }
}
