package dev.vdisk.api.agent;

/**
 * Space of the agent's pool.
 *
 * @param totalBytes     size of the pool's data space
 * @param availableBytes what writes and new volumes can still claim (GetCapacity's answer)
 * @param usedBytes      space held by data and metadata
 */
public record PoolCapacity(long totalBytes, long availableBytes, long usedBytes) {}
