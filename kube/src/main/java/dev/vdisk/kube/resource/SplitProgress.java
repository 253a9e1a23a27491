package dev.vdisk.kube.resource;

/**
 * A split as the node agent last reported it (the agent's {@code SplitStatus} plus wall-clock times).
 *
 * @param mode            {@code share} or {@code copy}
 * @param phase           QUEUED, SCANNING, FILLING, RELEASING, DONE, CANCELLED, FAILED or PAUSED
 * @param percent         segments scanned out of the clone's segments, 0 to 100
 * @param segmentsScanned segments below the split's cursor
 * @param segmentsTotal   segments of the clone
 * @param bytesRelocated  bytes shared or copied so far
 * @param bytesPerSecond  throughput of the current run
 * @param etaSeconds      estimated seconds to go, -1 if unknown
 * @param message         why it FAILED or is PAUSED, else empty
 * @param startTime       when it started (RFC 3339), empty while queued
 * @param completionTime  when it finished (RFC 3339), empty until then
 */
public record SplitProgress(
        String mode,
        String phase,
        int percent,
        long segmentsScanned,
        long segmentsTotal,
        long bytesRelocated,
        long bytesPerSecond,
        long etaSeconds,
        String message,
        String startTime,
        String completionTime) {}
