package dev.vdisk.api.agent;

/**
 * Where an import starts or resumes ({@link ReplicaTargetApi#beginImport}): ask the source for a delta from
 * {@code baseSnapshotId} (null: a seed of the whole snapshot) from byte {@code offset}.
 */
public record ReplicaCursor(String baseSnapshotId, long offset) {}
