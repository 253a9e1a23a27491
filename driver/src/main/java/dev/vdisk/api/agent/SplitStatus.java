package dev.vdisk.api.agent;

/**
 * Where the split of a clone off its backing snapshot is, as the agent reports it (a copy of the engine's split
 * progress without engine types, so the controller need not know the engine).
 *
 * @param volumeId        the clone
 * @param mode            {@code share} or {@code copy}
 * @param phase           QUEUED, SCANNING, FILLING, RELEASING, DONE, CANCELLED, FAILED or PAUSED
 * @param segmentsScanned segments below the split's cursor
 * @param segmentsTotal   segments of the clone
 * @param segmentsFilled  holes filled so far (all runs)
 * @param bytesRelocated  bytes shared or copied so far (all runs)
 * @param bytesPerSecond  throughput of the current run
 * @param etaSeconds      estimated seconds to go, -1 if unknown
 * @param message         why it FAILED or is PAUSED, else empty
 * @param queued          true while the agent holds it back because enough splits run already
 */
public record SplitStatus(String volumeId, String mode, String phase, long segmentsScanned, long segmentsTotal,
                          long segmentsFilled, long bytesRelocated, double bytesPerSecond, long etaSeconds,
                          String message, boolean queued) {

    /** Phase of a split that is finished for good. */
    public static final String DONE = "DONE";

    public SplitStatus {
        message = message == null ? "" : message;
    }
}
