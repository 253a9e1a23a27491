package dev.vdisk.kube.resource;

/**
 * The split a volume's owner asks its node agent to run (absent: none).
 *
 * @param mode               {@code share} or {@code copy}
 * @param rateBytesPerSecond at most this many bytes per second, 0 for no limit
 * @param cancel             true to stop a running or queued split at a consistent point
 * @param requestedBy        who asked, for events and status: {@code SplitRequest ns/name}, {@code PVC ns/name},
 *                           {@code CreateVolume} (split on clone) or {@code CSI}
 */
public record SplitSpec(String mode, long rateBytesPerSecond, boolean cancel, String requestedBy) {}
