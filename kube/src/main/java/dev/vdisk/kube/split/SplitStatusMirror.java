package dev.vdisk.kube.split;

import dev.vdisk.kube.resource.SplitProgress;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * A split request's status from what is known about its split: pure functions of the previous status, the node
 * agent's report and the time, so that every transition can be tested without an API server.
 */
final class SplitStatusMirror {

    private SplitStatusMirror() {
    }

    static boolean terminal(SplitRequestPhase phase) {
        return phase == SplitRequestPhase.Succeeded || phase == SplitRequestPhase.Failed
                || phase == SplitRequestPhase.Cancelled;
    }

    static boolean terminal(SplitRequestStatus status) {
        return status != null && terminal(status.phase());
    }

    /** The node agent's split phase is final: DONE, CANCELLED or FAILED. */
    static boolean finished(SplitProgress split) {
        return split != null && switch (split.phase()) {
            case "DONE", "CANCELLED", "FAILED" -> true;
            default -> false;
        };
    }

    /** Pending because the PVC does not lead to a volume yet (no PVC, not bound...). */
    static SplitRequestStatus waiting(SplitRequestStatus old, long generation, String reason, String message,
                                      Instant now) {
        List<Condition> conditions = RequestConditions.merge(old == null ? null : old.conditions(),
                RequestConditions.of(RequestConditions.ACCEPTED, false, reason, message, generation, now));
        return new SplitRequestStatus(SplitRequestPhase.Pending, generation, null, 0, 0, 0, -1, null, null,
                conditions);
    }

    /** Pending: {@code VdiskVolume.spec.split} is set, the node agent has not reported on it yet. */
    static SplitRequestStatus accepted(SplitRequestStatus old, long generation, String volumeId, String message,
                                       Instant now) {
        List<Condition> conditions = RequestConditions.merge(old == null ? null : old.conditions(),
                RequestConditions.of(RequestConditions.ACCEPTED, true, "Accepted", message, generation, now),
                RequestConditions.of(RequestConditions.COMPLETE, false, "Pending",
                        "waiting for the node agent to take the split in", generation, now));
        return new SplitRequestStatus(SplitRequestPhase.Pending, generation, volumeId, 0, 0, 0, -1, null, null,
                conditions);
    }

    /** Failed for good, {@code reason} a CamelCase word or the agent API's AgentReason name. Keeps the progress so far. */
    static SplitRequestStatus failed(SplitRequestStatus old, long generation, String volumeId, String reason,
                                     String message, Instant now) {
        // a request refused before it was accepted says so in Accepted; one that failed later keeps Accepted=True
        boolean accepted = old != null && old.volumeId() != null;
        List<Condition> conditions = RequestConditions.merge(old == null ? null : old.conditions(),
                RequestConditions.of(RequestConditions.COMPLETE, false, reason, message, generation, now),
                RequestConditions.of(RequestConditions.FAILED, true, reason, message, generation, now));
        if (!accepted) {
            conditions = RequestConditions.merge(conditions,
                    RequestConditions.of(RequestConditions.ACCEPTED, false, reason, message, generation, now));
        }
        return new SplitRequestStatus(SplitRequestPhase.Failed, generation, volumeId,
                old == null ? 0 : old.percent(), old == null ? 0 : old.bytesRelocated(), 0, -1,
                old == null ? null : old.startTime(), rfc3339(now), conditions);
    }

    /** The request's status from the node agent's report of its split. */
    static SplitRequestStatus fromProgress(SplitRequestStatus old, long generation, String volumeId, SplitProgress p,
                                           Instant now) {
        SplitRequestPhase phase = phaseOf(p.phase());
        if (phase == SplitRequestPhase.Failed) {
            SplitRequestStatus withProgress = new SplitRequestStatus(SplitRequestPhase.Running, generation, volumeId,
                    p.percent(), p.bytesRelocated(), 0, -1, startTime(old, p, now), null,
                    old == null ? null : old.conditions());
            return failed(withProgress, generation, volumeId, "SplitFailed",
                    p.message().isEmpty() ? "the node agent reports the split FAILED" : p.message(), now);
        }
        String what = p.mode() + " split";
        Condition complete = switch (phase) {
            case Succeeded -> RequestConditions.of(RequestConditions.COMPLETE, true, "SplitDone",
                    "the volume no longer reads through any snapshot", generation, now);
            case Cancelled -> RequestConditions.of(RequestConditions.COMPLETE, false, "Cancelled",
                    what + " stopped at " + p.percent() + "% at a consistent point", generation, now);
            case Queued -> RequestConditions.of(RequestConditions.COMPLETE, false, "Queued",
                    what + " waits for a free split slot on the volume's node", generation, now);
            default -> "PAUSED".equals(p.phase())
                    ? RequestConditions.of(RequestConditions.COMPLETE, false, "Paused",
                            p.message().isEmpty() ? what + " is paused" : p.message(), generation, now)
                    : RequestConditions.of(RequestConditions.COMPLETE, false, "Running",
                            what + " " + p.phase().toLowerCase(Locale.ROOT) + ", " + p.percent() + "%", generation,
                            now);
        };
        List<Condition> conditions = RequestConditions.merge(old == null ? null : old.conditions(), complete);
        boolean done = terminal(phase);
        int percent = phase == SplitRequestPhase.Succeeded ? 100 : p.percent();
        String start = phase == SplitRequestPhase.Queued ? null : startTime(old, p, now);
        String completion = !done ? null : p.completionTime() != null && !p.completionTime().isEmpty()
                ? p.completionTime() : old != null && old.completionTime() != null ? old.completionTime() : rfc3339(now);
        return new SplitRequestStatus(phase, generation, volumeId, percent, p.bytesRelocated(),
                done ? 0 : p.bytesPerSecond(), done ? 0 : p.etaSeconds(), start, completion, conditions);
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
        return old != null && old.startTime() != null ? old.startTime() : rfc3339(now);
    }

    static String rfc3339(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
