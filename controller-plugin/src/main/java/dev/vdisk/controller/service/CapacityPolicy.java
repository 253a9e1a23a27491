package dev.vdisk.controller.service;

import static dev.vdisk.api.agent.VolumeAgent.MAX_VOLUME_BYTES;
import static dev.vdisk.api.agent.VolumeAgent.SIZE_GRANULARITY;

import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.PoolCapacity;
import java.util.List;

/**
 * How much a node can still provision. Volumes are thin, so what their writes will need is unknown; like TopoLVM's
 * thin pools, a node may provision volumes whose sizes add up to its pool's size times the overprovisioning ratio:
 * {@code available = floor(total x ratio) - sum of volume sizes} (at least 0). With the default ratio 1.0 every
 * volume can be written in full (metadata aside). This is what GetCapacity reports and what CreateVolume and
 * ControllerExpandVolume check, so the CO's capacity tracking and the plugin agree.
 *
 * @param ratio the overprovisioning ratio, above 0
 */
record CapacityPolicy(double ratio) {

    long available(PoolCapacity pool, List<AgentVolume> volumes) {
        long provisioned = volumes.stream().mapToLong(AgentVolume::sizeBytes).sum();
        return Math.max(0, limit(pool) - provisioned);
    }

    /** The largest single volume: the pool's size times the ratio, rounded down, at most the engine's limit. */
    long maximumVolumeSize(PoolCapacity pool) {
        return Math.min(MAX_VOLUME_BYTES, limit(pool) / SIZE_GRANULARITY * SIZE_GRANULARITY);
    }

    private long limit(PoolCapacity pool) {
        double limit = Math.floor(pool.totalBytes() * ratio);
        return limit >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) limit;
    }
}
