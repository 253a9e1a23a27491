package dev.vdisk.kube.split;

import dev.vdisk.kube.reconcile.Conditions;
import dev.vdisk.kube.reconcile.Timestamps;
import dev.vdisk.kube.resource.SplitProgress;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * A split request's status from what is known about its split: pure functions of the previous status, the node
 * agent's report and the time, so that every transition can be tested without an API server.
 */
final class SplitStatusMirror {

    /** The request's conditions: the PVC leads to a clone of ours and no other split runs on it. */
    static final String ACCEPTED = "Accepted";

    static final String COMPLETE = "Complete";
    static final String FAILED = "Failed";

    private SplitStatusMirror() {}

    static boolean terminal(SplitRequestPhase phase) {
        return phase == SplitRequestPhase.Succeeded
                || phase == SplitRequestPhase.Failed
                || phase == SplitRequestPhase.Cancelled;
    }

    static boolean terminal(SplitRequestStatus status) {
        return status != null && terminal(status.phase());
    }

    /** The node agent's split phase is final: DONE, CANCELLED or FAILED. */
    static boolean finished(SplitProgress split) {
        return split != null
                && switch (split.phase()) {
                    case "DONE", "CANCELLED", "FAILED" -> true;
                    default -> false;
                };
    }

    /** Pending because the PVC does not lead to a volume yet (no PVC, not bound...). */
    static SplitRequestStatus waiting(
            SplitRequestStatus old, long generation, String reason, String message, Instant now) {
        List<Condition> conditions = conditions(old, generation, now)
                .set(ACCEPTED, false, reason, message)
                .merged();
        return new SplitRequestStatus(SplitRequestPhase.Pending, generation, null, 0, 0, 0, -1, null, null, conditions);
    }

    /** Pending: {@code VdiskVolume.spec.split} is set, the node agent has not reported on it yet. */
    static SplitRequestStatus accepted(
            SplitRequestStatus old, long generation, String volumeId, String message, Instant now) {
        List<Condition> conditions = conditions(old, generation, now)
                .set(ACCEPTED, true, "Accepted", message)
                .set(COMPLETE, false, "Pending", "waiting for the node agent to take the split in")
                .merged();
        return new SplitRequestStatus(
                SplitRequestPhase.Pending, generation, volumeId, 0, 0, 0, -1, null, null, conditions);
    }

    /** Failed for good, {@code reason} a CamelCase word or the agent API's AgentReason name. Keeps the progress so far. */
    static SplitRequestStatus failed(
            SplitRequestStatus old, long generation, String volumeId, String reason, String message, Instant now) {
        // a request refused before it was accepted says so in Accepted; one that failed later keeps Accepted=True
        boolean accepted = old != null && old.volumeId() != null;
        Conditions c = conditions(old, generation, now)
                .set(COMPLETE, false, reason, message)
                .set(FAILED, true, reason, message);
        if (!accepted) {
            c.set(ACCEPTED, false, reason, message);
        }
        List<Condition> conditions = c.merged();
        return new SplitRequestStatus(
                SplitRequestPhase.Failed,
                generation,
                volumeId,
                old == null ? 0 : old.percent(),
                old == null ? 0 : old.bytesRelocated(),
                0,
                -1,
                old == null ? null : old.startTime(),
                Timestamps.format(now),
                conditions);
    }

    /** The request's status from the node agent's report of its split. */
    static SplitRequestStatus fromProgress(
            SplitRequestStatus old, long generation, String volumeId, SplitProgress p, Instant now) {
        SplitRequestPhase phase = phaseOf(p.phase());
        if (phase == SplitRequestPhase.Failed) {
            SplitRequestStatus withProgress = new SplitRequestStatus(
                    SplitRequestPhase.Running,
                    generation,
                    volumeId,
                    p.percent(),
                    p.bytesRelocated(),
                    0,
                    -1,
                    startTime(old, p, now),
                    null,
                    old == null ? null : old.conditions());
            return failed(
                    withProgress,
                    generation,
                    volumeId,
                    "SplitFailed",
                    p.message().isEmpty() ? "the node agent reports the split FAILED" : p.message(),
                    now);
        }
        String what = p.mode() + " split";
        Conditions c = conditions(old, generation, now);
        switch (phase) {
            case Succeeded -> c.set(COMPLETE, true, "SplitDone", "the volume no longer reads through any snapshot");
            case Cancelled ->
                c.set(COMPLETE, false, "Cancelled", what + " stopped at " + p.percent() + "% at a consistent point");
            case Queued -> c.set(COMPLETE, false, "Queued", what + " waits for a free split slot on the volume's node");
            default -> {
                if ("PAUSED".equals(p.phase())) {
                    c.set(COMPLETE, false, "Paused", p.message().isEmpty() ? what + " is paused" : p.message());
                } else {
                    c.set(
                            COMPLETE,
                            false,
                            "Running",
                            what + " " + p.phase().toLowerCase(Locale.ROOT) + ", " + p.percent() + "%");
                }
            }
        }
        List<Condition> conditions = c.merged();
        boolean done = terminal(phase);
        int percent = phase == SplitRequestPhase.Succeeded ? 100 : p.percent();
        String start = phase == SplitRequestPhase.Queued ? null : startTime(old, p, now);
        String completion = !done
                ? null
                : p.completionTime() != null && !p.completionTime().isEmpty()
                        ? p.completionTime()
                        : old != null && old.completionTime() != null ? old.completionTime() : Timestamps.format(now);
        return new SplitRequestStatus(
                phase,
                generation,
                volumeId,
                percent,
                p.bytesRelocated(),
                done ? 0 : p.bytesPerSecond(),
                done ? 0 : p.etaSeconds(),
                start,
                completion,
                conditions);
    }

    static SplitRequestPhase phaseOf(String agentPhase) {
        return switch (agentPhase) {
            case "QUEUED" -> SplitRequestPhase.Queued;
            case "DONE" -> SplitRequestPhase.Succeeded;
            case "CANCELLED" -> SplitRequestPhase.Cancelled;
            case "FAILED" -> SplitRequestPhase.Failed;
            default -> SplitRequestPhase.Running; // SCANNING, FILLING, RELEASING, PAUSED
        };
    }

    private static String startTime(SplitRequestStatus old, SplitProgress p, Instant now) {
        if (p.startTime() != null && !p.startTime().isEmpty()) {
            return p.startTime();
        }
        return old != null && old.startTime() != null ? old.startTime() : Timestamps.format(now);
    }

    private static Conditions conditions(SplitRequestStatus old, long generation, Instant now) {
        return new Conditions(old == null ? null : old.conditions(), generation, now);
    }
}
