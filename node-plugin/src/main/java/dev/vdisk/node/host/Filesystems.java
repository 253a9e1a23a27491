package dev.vdisk.node.host;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Probing (blkid), formatting and growing the filesystems a mount volume may carry: ext4 and xfs. */
public final class Filesystems {
    public static final Set<String> SUPPORTED = Set.of("ext4", "xfs");
    public static final String DEFAULT = "ext4";
    /** blkid's exit code when it found no signature at all. */
    private static final int BLKID_NOTHING_FOUND = 2;

    private Filesystems() {}

    /**
     * What {@code blkid -p} finds on the device, low-level (superblock probing, no cache): empty when the device has no
     * signature of any kind, else its tags (TYPE, PTTYPE, ...).
     */
    public static Map<String, String> probe(Path device) throws IOException {
        HostCommand.Result r = HostCommand.run("blkid", "-p", "-o", "export", device.toString());
        if (r.exitCode() == BLKID_NOTHING_FOUND) {
            return Map.of();
        }
        if (r.exitCode() != 0) {
            throw new IOException("blkid -p " + device + " exited with " + r.exitCode() + ": " + r.output());
        }
        Map<String, String> tags = new HashMap<>();
        for (String line : r.output().lines().toList()) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                tags.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return tags;
    }

    /**
     * Creates {@code fsType} on a device the caller has just probed blank. No discard at mkfs time: a new vdisk is
     * thin and reads zeros already, so discarding it would only cost time.
     */
    public static void format(Path device, String fsType) throws IOException {
        HostCommand.Result r =
                switch (fsType) {
                    case "ext4" -> HostCommand.run("mkfs.ext4", "-q", "-F", "-E", "nodiscard", device.toString());
                    case "xfs" -> HostCommand.run("mkfs.xfs", "-q", "-K", device.toString());
                    default ->
                        throw new IllegalArgumentException("fs_type " + fsType + " is not supported (ext4, xfs)");
                };
        if (r.exitCode() != 0) {
            // one line: mkfs.xfs follows its error with its whole usage text
            throw new IOException("mkfs." + fsType + " failed: " + HostCommand.lastLine(r.output()));
        }
    }

    /**
     * Grows a mounted filesystem to its device's size (online). ext4's online resize ioctl also needs
     * CAP_SYS_RESOURCE (the kernel answers EPERM without it, even to root); a plugin container that lacks it gets
     * FAILED_PRECONDITION saying so, since retrying cannot help.
     */
    public static void grow(Path device, Path mountPoint, String fsType) throws IOException {
        switch (fsType) {
            case "ext4" -> {
                HostCommand.Result r = HostCommand.run("resize2fs", device.toString());
                if (r.exitCode() != 0 && r.output().contains("Permission denied")) {
                    throw new AgentException(
                            AgentReason.FAILED_PRECONDITION,
                            "growing ext4 on " + device + " online was"
                                    + " refused: the kernel requires CAP_SYS_RESOURCE, which this process lacks ("
                                    + r.output()
                                            .lines()
                                            .filter(l -> l.contains("Permission"))
                                            .findFirst()
                                            .orElse("") + ")");
                }
                if (r.exitCode() != 0) {
                    throw new IOException("resize2fs " + device + " exited with " + r.exitCode() + ": " + r.output());
                }
            }
            case "xfs" -> HostCommand.check("xfs_growfs", "-d", mountPoint.toString());
            default -> throw new IllegalArgumentException("fs_type " + fsType + " is not supported (ext4, xfs)");
        }
    }
}
