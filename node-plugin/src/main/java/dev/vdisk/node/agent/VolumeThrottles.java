package dev.vdisk.node.agent;

import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.backend.IoLimits;
import dev.vdisk.node.backend.ThrottledBackend;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O limits of attached volumes: every attached volume is served through a {@link ThrottledBackend} (unlimited
 * costs one volatile read per request), so that a limit set later by ControllerModifyVolume applies to the running
 * data path. Limits come from the controller's attributes {@link #MAX_IOPS} and {@link #MAX_BYTES_PER_SECOND}
 * (whole numbers; absent or 0: no limit). Threading: a concurrent map; per volume, the caller holds its lock.
 */
final class VolumeThrottles {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeThrottles.class);
    /** Attribute keys, as the controller's mutable parameters name them. */
    static final String MAX_IOPS = "maxIops";

    static final String MAX_BYTES_PER_SECOND = "maxBytesPerSecond";

    private final Map<String, ThrottledBackend> attached = new ConcurrentHashMap<>();

    /** The backend to attach for {@code volumeId}, limited as its attributes say. */
    BlockBackend wrap(String volumeId, BlockBackend backend, Map<String, String> attributes) {
        IoLimits limits = limits(attributes);
        ThrottledBackend t = new ThrottledBackend(backend, limits);
        attached.put(volumeId, t);
        if (!limits.unlimited()) {
            LOG.info(
                    "volume {} attached with I/O limits {} IOPS, {} B/s (0: none)",
                    volumeId,
                    limits.maxIops(),
                    limits.maxBytesPerSecond());
        }
        return t;
    }

    /** Applies changed attributes to the volume's data path, if it is attached. */
    void update(String volumeId, Map<String, String> attributes) {
        ThrottledBackend t = attached.get(volumeId);
        IoLimits limits = limits(attributes);
        if (t != null && !t.limits().equals(limits)) {
            t.limits(limits);
            LOG.info(
                    "volume {} I/O limits now {} IOPS, {} B/s (0: none)",
                    volumeId,
                    limits.maxIops(),
                    limits.maxBytesPerSecond());
        }
    }

    /** The volume was detached. */
    void remove(String volumeId) {
        attached.remove(volumeId);
    }

    /** For tests and stats: the limits the volume's data path enforces now, if attached. */
    Optional<IoLimits> current(String volumeId) {
        return Optional.ofNullable(attached.get(volumeId)).map(ThrottledBackend::limits);
    }

    /** Unreadable values count as no limit: the controller validated them, a hand-edited file must not stop I/O. */
    static IoLimits limits(Map<String, String> attributes) {
        return new IoLimits(number(attributes.get(MAX_IOPS)), number(attributes.get(MAX_BYTES_PER_SECOND)));
    }

    private static long number(String value) {
        if (value == null) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
