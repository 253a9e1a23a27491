package dev.vdisk.kube.split;

import dev.vdisk.kube.reconcile.Conditions;
import dev.vdisk.kube.reconcile.ObjectEvent;
import dev.vdisk.kube.resource.EventReasons;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The PVC Events a status change deserves: started, each of 25/50/75 % crossed, completed, failed (with the
 * reason), cancelled. Computed from the previous and the new request status, both as stored, so a controller that
 * takes over from another records each milestone once.
 */
final class SplitMilestones {

    private static final int[] MILESTONES = {25, 50, 75};

    private SplitMilestones() {}

    static List<ObjectEvent> between(SplitRequestStatus old, SplitRequestStatus now, String mode, String requestedBy) {
        List<ObjectEvent> events = new ArrayList<>();
        SplitRequestPhase before = old == null ? null : old.phase();
        SplitRequestPhase after = now.phase();
        if (before == after && after != SplitRequestPhase.Running) {
            return events;
        }
        boolean startedBefore = old != null && old.startTime() != null;
        if (!startedBefore && now.startTime() != null && after != SplitRequestPhase.Failed) {
            events.add(ObjectEvent.normal(
                    EventReasons.SPLIT_STARTED,
                    mode + " split of volume " + now.volumeId() + " started (" + requestedBy + ")"));
        }
        if (after == SplitRequestPhase.Running) {
            int was = old == null ? 0 : old.percent();
            for (int m : MILESTONES) {
                if (was < m && now.percent() >= m) {
                    events.add(ObjectEvent.normal(
                            EventReasons.SPLIT_PROGRESS,
                            String.format(
                                    Locale.ROOT,
                                    "%d%% split (%s relocated, %s/s, ETA %s)",
                                    m,
                                    ByteUnits.format(now.bytesRelocated()),
                                    ByteUnits.format(now.bytesPerSecond()),
                                    eta(now.etaSeconds()))));
                }
            }
        }
        if (after == before) {
            return events;
        }
        switch (after) {
            case Succeeded ->
                events.add(ObjectEvent.normal(
                        EventReasons.SPLIT_COMPLETED,
                        mode + " split of volume "
                                + now.volumeId() + " completed (" + ByteUnits.format(now.bytesRelocated())
                                + " relocated): it no "
                                + "longer reads through any snapshot"));
            case Cancelled ->
                events.add(ObjectEvent.normal(
                        EventReasons.SPLIT_CANCELLED,
                        mode + " split of volume " + now.volumeId() + " cancelled at " + now.percent() + "%"));
            case Failed -> {
                Condition failed = Conditions.find(now.conditions(), SplitStatusMirror.FAILED);
                events.add(ObjectEvent.warning(
                        EventReasons.SPLIT_FAILED,
                        mode + " split "
                                + (now.volumeId() == null ? "" : "of volume " + now.volumeId() + " ") + "failed: "
                                + (failed == null ? "unknown" : failed.getReason() + ": " + failed.getMessage())));
            }
            default -> {}
        }
        return events;
    }

    private static String eta(long seconds) {
        if (seconds < 0) {
            return "unknown";
        }
        return seconds >= 3600
                ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
}
