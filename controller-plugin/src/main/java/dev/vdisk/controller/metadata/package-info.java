/**
 * The CSI SnapshotMetadata service (spec v1.12, alpha): changed-block tracking for backup tools. Entry point
 * {@link dev.vdisk.controller.metadata.SnapshotMetadataService}, which finds snapshots and their nodes' streams
 * through {@link dev.vdisk.controller.metadata.SnapshotStreams}; the agent's extent streams
 * ({@link dev.vdisk.api.agent.ExtentApi#allocated}, {@link dev.vdisk.api.agent.ExtentApi#delta}) are coalesced
 * and cut into responses by {@link dev.vdisk.controller.metadata.ExtentBatches}.
 *
 * <p>Errors are thrown: {@link java.lang.IllegalArgumentException} (INVALID_ARGUMENT), the agent's
 * {@link dev.vdisk.api.agent.AgentException}s (by reason) and
 * {@link dev.vdisk.controller.metadata.OffsetOutOfRangeException}, which the launcher maps to OUT_OF_RANGE.
 */
package dev.vdisk.controller.metadata;
