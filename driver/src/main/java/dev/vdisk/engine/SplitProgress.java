package dev.vdisk.engine;

/**
 * A snapshot of a split's progress, available at any time from {@link SplitTask#progress()} and {@link Pool#splits()}.
 *
 * @param vdiskName the clone
 * @param segmentsScanned segments below the cursor (the next segment index to examine)
 * @param segmentsTotal segments of the clone when the split (re)started
 * @param segmentsVisited candidate segments (mapped somewhere in the backing chain) examined by this process's run
 * @param segmentsFilled holes filled (all runs, persisted)
 * @param bytesRelocated bytes filled (COPY: copied; SHARE: shared) over all runs
 * @param bytesPerSecond throughput of this run so far
 * @param etaSeconds estimated seconds to go (from the cursor's rate), -1 if unknown
 * @param error why the split FAILED or is PAUSED, else null
 */
public record SplitProgress(String vdiskName, SplitMode mode, SplitPhase phase, long segmentsScanned,
        long segmentsTotal, long segmentsVisited, long segmentsFilled, long bytesRelocated, double bytesPerSecond,
        long etaSeconds, String error) {

    /** True once the running thread is gone (DONE, CANCELLED, FAILED, PAUSED). */
    public boolean finished() {
        return phase == SplitPhase.DONE || phase == SplitPhase.CANCELLED || phase == SplitPhase.FAILED
                || phase == SplitPhase.PAUSED;
    }
}
