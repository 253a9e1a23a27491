package dev.vdisk.node.agent;

import static dev.vdisk.api.agent.VolumeApi.SIZE_GRANULARITY;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import java.util.regex.Pattern;

/** What the agent accepts as a volume or snapshot ID, and volume sizes rounded to the agent's granularity. */
final class VolumeIds {
    /** The engine's vdisk names; volume IDs are also file names (FUSE image, attributes file). */
    private static final Pattern VOLUME_ID = Pattern.compile("[A-Za-z0-9._:-]{1,253}");

    private VolumeIds() {}

    /**
     * The engine allows '.' and '..' as names, but the volume ID is also the image's file name in the FUSE mount and
     * the attributes' file name, so it is checked here before any file is written.
     */
    static boolean usable(String volumeId) {
        return VOLUME_ID.matcher(volumeId).matches() && !volumeId.equals(".") && !volumeId.equals("..");
    }

    static void check(String volumeId) {
        if (!usable(volumeId)) {
            throw new AgentException(
                    AgentReason.INVALID_ARGUMENT,
                    "volume ID '" + volumeId + "' is not a usable name:"
                            + " use 1-253 characters of A-Z a-z 0-9 . _ : - (not '.' or '..')");
        }
    }

    /** The size rounded up to {@code SIZE_GRANULARITY}; INVALID_ARGUMENT if not positive. */
    static long roundUp(long bytes) {
        if (bytes <= 0) {
            throw new AgentException(AgentReason.INVALID_ARGUMENT, "volume size must be positive, got " + bytes);
        }
        return (bytes + SIZE_GRANULARITY - 1) / SIZE_GRANULARITY * SIZE_GRANULARITY;
    }
}
