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
 * volume can be written in full (metadata aside). CreateVolume and ControllerExpandVolume check this, and GetCapacity
 * reports it as {@code maximum_volume_size} (what the scheduler compares a claim with). GetCapacity's
 * {@code available_capacity} is {@link #writable}: the same, but never more than the pool can really still write
 * (a thin pool's volumes can fill it long before their sizes add up to its size, and the capacity a full pool
 * reported must not say 620 MB when 64 KiB are left).
 *
 * @param ratio the overprovisioning ratio, above 0
 */
record CapacityPolicy(double ratio) {

    long available(PoolCapacity pool, List<AgentVolume> volumes) {
        long provisioned = volumes.stream().mapToLong(AgentVolume::sizeBytes).sum();
        return Math.max(0, limit(pool) - provisioned);
    }

    /** What GetCapacity reports as available: {@link #available}, at most what the pool can still write. */
    long writable(PoolCapacity pool, List<AgentVolume> volumes) {
        return Math.min(available(pool, volumes), Math.max(0, pool.availableBytes()));
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
