package dev.vdisk.api.agent;

/**
 * What an export from a cursor will cover, for progress: the source snapshot's size and the bytes (data and zeros)
 * of the extents from the cursor on.
 */
public record ReplicaPlan(long sizeBytes, long coveredBytes) {}
