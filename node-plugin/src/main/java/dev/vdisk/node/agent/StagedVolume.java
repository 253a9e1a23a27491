package dev.vdisk.node.agent;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A volume staged on this node, as the state file records it.
 *
 * @param stagingPath the staging_target_path it was staged at
 * @param block       raw block volume (else a mount volume)
 * @param fsType      ext4 or xfs for a mount volume, empty for block
 * @param mountFlags  the capability's mount_flags, in order
 * @param accessMode  the CSI access mode's name (SINGLE_NODE_WRITER, ...)
 * @param targets     published target paths, each with whether it is read-only, in publish order
 */
public record StagedVolume(
        String volumeId,
        Path stagingPath,
        boolean block,
        String fsType,
        List<String> mountFlags,
        String accessMode,
        Map<Path, Boolean> targets) {
    public StagedVolume {
        mountFlags = List.copyOf(mountFlags);
        targets = Collections.unmodifiableMap(new LinkedHashMap<>(targets));
    }

    /** Same staging and the same capability: a second NodeStageVolume with these is idempotent. */
    public boolean sameStagingAs(StagedVolume other) {
        return stagingPath.equals(other.stagingPath)
                && block == other.block
                && fsType.equals(other.fsType)
                && mountFlags.equals(other.mountFlags)
                && accessMode.equals(other.accessMode);
    }

    public StagedVolume withTarget(Path target, boolean readOnly) {
        Map<Path, Boolean> t = new LinkedHashMap<>(targets);
        t.put(target, readOnly);
        return new StagedVolume(volumeId, stagingPath, block, fsType, mountFlags, accessMode, t);
    }

    public StagedVolume withoutTarget(Path target) {
        Map<Path, Boolean> t = new LinkedHashMap<>(targets);
        t.remove(target);
        return new StagedVolume(volumeId, stagingPath, block, fsType, mountFlags, accessMode, t);
    }

    /** Read-only staging: the access mode is a reader-only one. */
    public boolean readOnly() {
        return accessMode.endsWith("READER_ONLY");
    }
}
