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
 * @param bytesToRelocate what {@code bytesRelocated} will be when done (the data to relocate, not the clone's size),
 *                        -1 while unknown
 * @param bytesPerSecond  throughput of the current run
 * @param etaSeconds      estimated seconds to go, -1 if unknown
 * @param message         why it FAILED or is PAUSED, else empty
 * @param queued          true while the agent holds it back because enough splits run already
 */
public record SplitStatus(
        String volumeId,
        String mode,
        String phase,
        long segmentsScanned,
        long segmentsTotal,
        long segmentsFilled,
        long bytesRelocated,
        long bytesToRelocate,
        double bytesPerSecond,
        long etaSeconds,
        String message,
        boolean queued) {

    /** Phase of a split that is finished for good. */
    public static final String DONE = "DONE";

    public SplitStatus {
        message = message == null ? "" : message;
    }

    /** A status whose data to relocate is not known (queued, finished, or from a source that does not count it). */
    public SplitStatus(
            String volumeId,
            String mode,
            String phase,
            long segmentsScanned,
            long segmentsTotal,
            long segmentsFilled,
            long bytesRelocated,
            double bytesPerSecond,
            long etaSeconds,
            String message,
            boolean queued) {
        this(
                volumeId,
                mode,
                phase,
                segmentsScanned,
                segmentsTotal,
                segmentsFilled,
                bytesRelocated,
                -1,
                bytesPerSecond,
                etaSeconds,
                message,
                queued);
    }

    /**
     * How far the split is, 0-100: the bytes relocated out of those to relocate when that is known (the cursor
     * crosses empty stretches of the clone at once and data slowly, so it measured the wrong thing), else the
     * cursor's share of the clone; 100 once DONE.
     */
    public int percent() {
        if (DONE.equals(phase)) {
            return 100;
        }
        if (bytesToRelocate > 0) {
            return (int) Math.min(100, bytesRelocated * 100 / bytesToRelocate);
        }
        return segmentsTotal == 0 ? 0 : (int) Math.min(100, segmentsScanned * 100 / segmentsTotal);
    }
}
