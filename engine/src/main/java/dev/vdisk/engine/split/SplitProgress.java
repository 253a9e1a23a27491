package dev.vdisk.engine.split;

/**
 * A snapshot of a split's progress, available at any time from {@link SplitTask#progress()} and {@code Pool.splits().progress()}.
 *
 * @param vdiskName the clone
 * @param segmentsScanned segments below the cursor (the next segment index to examine)
 * @param segmentsTotal segments of the clone when the split (re)started
 * @param segmentsVisited candidate segments (mapped somewhere in the backing chain) examined by this process's run
 * @param segmentsFilled holes filled (all runs, persisted)
 * @param bytesRelocated bytes filled (COPY: copied; SHARE: shared) over all runs
 * @param bytesToRelocate what {@code bytesRelocated} will be at the end: the bytes relocated before this run plus the
 *     data the backing chain still maps under the clone's holes when this run started; -1 until the running task has
 *     counted it. Progress is measured against it, not against the clone's size: a 2 GiB clone holding 400 MB
 *     otherwise jumped from 20 % to done and its ETA was about 3x too long (issue 16)
 * @param bytesPerSecond throughput of this run so far
 * @param etaSeconds estimated seconds to go (from the bytes left at this run's byte rate, else from the cursor's
 *     rate), -1 if unknown
 * @param error why the split FAILED or is PAUSED, else null
 */
public record SplitProgress(
        String vdiskName,
        SplitMode mode,
        SplitPhase phase,
        long segmentsScanned,
        long segmentsTotal,
        long segmentsVisited,
        long segmentsFilled,
        long bytesRelocated,
        long bytesToRelocate,
        double bytesPerSecond,
        long etaSeconds,
        String error) {

    /** True once the running thread is gone (DONE, CANCELLED, FAILED, PAUSED). */
    public boolean finished() {
        return phase == SplitPhase.DONE
                || phase == SplitPhase.CANCELLED
                || phase == SplitPhase.FAILED
                || phase == SplitPhase.PAUSED;
    }
}
