package dev.vdisk.kube.node;

import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.kube.reconcile.ObjectEvent;
import dev.vdisk.kube.reconcile.Timestamps;
import dev.vdisk.kube.resource.EventReasons;
import dev.vdisk.kube.resource.SplitProgress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns the agent's {@link SplitStatus} into the status's {@link SplitProgress} (adding wall-clock start and end,
 * kept from the previous status) and says which milestones were passed since the previous one: the events to record.
 * Pure: derived from the two statuses only, so a restarted agent neither repeats nor loses a milestone.
 */
final class SplitTracking {
    static final String QUEUED = "QUEUED";
    private static final Set<String> FINISHED = Set.of(SplitStatus.DONE, "CANCELLED", "FAILED");
    private static final int[] MILESTONES = {25, 50, 75};

    private SplitTracking() {}

    static boolean finished(SplitProgress p) {
        return p != null && FINISHED.contains(p.phase());
    }

    /** Still to watch: queued, running or paused. */
    static boolean active(SplitProgress p) {
        return p != null && !finished(p);
    }

    static SplitProgress progress(SplitStatus s, SplitProgress previous, Instant now) {
        String phase = s.queued() ? QUEUED : s.phase();
        boolean sameRun = previous != null
                && previous.mode().equals(s.mode())
                && !(finished(previous) && !FINISHED.contains(phase));
        // over the data to relocate (SplitStatus.percent), so that 25/50/75 % are crossed as the data moves
        int percent = s.percent();
        String start = sameRun && !previous.startTime().isEmpty()
                ? previous.startTime()
                : QUEUED.equals(phase) ? "" : Timestamps.format(now);
        String end = !FINISHED.contains(phase)
                ? ""
                : sameRun
                                && phase.equals(previous.phase())
                                && !previous.completionTime().isEmpty()
                        ? previous.completionTime()
                        : Timestamps.format(now);
        return new SplitProgress(
                s.mode(),
                phase,
                percent,
                s.segmentsScanned(),
                s.segmentsTotal(),
                s.bytesRelocated(),
                Math.round(s.bytesPerSecond()),
                s.etaSeconds(),
                s.message(),
                start,
                end);
    }

    /** A split the agent refused to start (reason: the agent API's AgentReason name). */
    static SplitProgress refused(String mode, String reason, String message, Instant now) {
        String t = Timestamps.format(now);
        return new SplitProgress(mode, "FAILED", 0, 0, 0, 0, 0, -1, reason + ": " + message, t, t);
    }

    static List<ObjectEvent> passed(SplitProgress before, SplitProgress after, String requestedBy) {
        List<ObjectEvent> out = new ArrayList<>();
        if (after == null || (before != null && before.equals(after))) {
            return out;
        }
        String by = requestedBy == null || requestedBy.isEmpty() ? "" : " (requested by " + requestedBy + ")";
        boolean newRun = before == null || !before.mode().equals(after.mode()) || finished(before) && !finished(after);
        boolean wasRunning = !newRun && !QUEUED.equals(before.phase());
        if (!QUEUED.equals(after.phase()) && !wasRunning && !"FAILED".equals(after.phase())) {
            out.add(ObjectEvent.normal(EventReasons.SPLIT_STARTED, after.mode() + " split started" + by));
        }
        int from = newRun ? 0 : before.percent();
        if (!finished(after)) {
            for (int m : MILESTONES) {
                if (from < m && after.percent() >= m) {
                    out.add(ObjectEvent.normal(
                            EventReasons.SPLIT_PROGRESS,
                            after.mode() + " split at "
                                    + after.percent() + "% (" + after.bytesRelocated() + " bytes relocated, "
                                    + after.bytesPerSecond() + " B/s)"));
                    break; // one event per observation, however far it jumped
                }
            }
        }
        boolean changedPhase = newRun || !before.phase().equals(after.phase());
        if (changedPhase) {
            switch (after.phase()) {
                case SplitStatus.DONE ->
                    out.add(ObjectEvent.normal(
                            EventReasons.SPLIT_COMPLETED,
                            after.mode() + " split completed: " + after.bytesRelocated()
                                    + " bytes relocated; the volume" + " no longer reads through a snapshot"));
                case "CANCELLED" ->
                    out.add(ObjectEvent.normal(
                            EventReasons.SPLIT_CANCELLED,
                            after.mode() + " split cancelled at " + after.percent() + "%; starting it again resumes"));
                case "FAILED" ->
                    out.add(ObjectEvent.warning(
                            EventReasons.SPLIT_FAILED, after.mode() + " split failed: " + after.message()));
                case "PAUSED" ->
                    out.add(ObjectEvent.warning(
                            EventReasons.SPLIT_PAUSED, after.mode() + " split paused: " + after.message()));
                default -> {}
            }
        }
        return out;
    }
}
