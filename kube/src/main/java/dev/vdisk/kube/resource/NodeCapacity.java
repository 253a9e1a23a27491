package dev.vdisk.kube.resource;

/**
 * A node's pool space, as its agent last measured it.
 *
 * @param totalBytes     size of the pool's data space
 * @param availableBytes what writes and new volumes can still claim
 * @param usedBytes      space held by data and metadata
 */
public record NodeCapacity(long totalBytes, long availableBytes, long usedBytes) {}
