package dev.vdisk.kube.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vdisk.kube.reconcile.Conditions;
import dev.vdisk.kube.reconcile.EventType;
import dev.vdisk.kube.reconcile.ObjectEvent;
import dev.vdisk.kube.resource.SplitProgress;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The request's status and PVC Events as pure functions of the agent's report: phases, times, milestones. */
class SplitStatusMirrorTest {

    static final Instant NOW = Instant.parse("2026-11-22T08:00:00.5Z");

    @ParameterizedTest
    @CsvSource({
        "QUEUED, Queued",
        "SCANNING, Running",
        "FILLING, Running",
        "RELEASING, Running",
        "PAUSED, Running",
        "DONE, Succeeded",
        "CANCELLED, Cancelled",
        "FAILED, Failed"
    })
    void agentPhaseToRequestPhase(String agent, SplitRequestPhase phase) {
        assertEquals(phase, SplitStatusMirror.phaseOf(agent));
        assertEquals(
                phase,
                SplitStatusMirror.fromProgress(accepted(), 1, "v", progress(agent, 40), NOW)
                        .phase());
    }

    @Test
    void pausedSaysWhyInComplete() {
        SplitRequestStatus s = SplitStatusMirror.fromProgress(
                accepted(),
                1,
                "v",
                new SplitProgress("copy", "PAUSED", 40, 4, 10, 4096, 0, -1, "pool full", "2026-11-22T07:00:00Z", ""),
                NOW);
        assertEquals("Paused", Conditions.find(s.conditions(), "Complete").getReason());
        assertEquals("pool full", Conditions.find(s.conditions(), "Complete").getMessage());
    }

    @Test
    void agentWithoutTimesGetsTheControllersClock() {
        SplitRequestStatus running = SplitStatusMirror.fromProgress(
                accepted(), 1, "v", new SplitProgress("share", "FILLING", 10, 1, 10, 0, 0, -1, "", "", ""), NOW);
        assertEquals("2026-11-22T08:00:00Z", running.startTime());
        assertNull(running.completionTime());
        SplitRequestStatus done = SplitStatusMirror.fromProgress(
                running,
                1,
                "v",
                new SplitProgress("share", "DONE", 100, 10, 10, 0, 0, 0, "", "", ""),
                NOW.plusSeconds(60));
        assertEquals("2026-11-22T08:00:00Z", done.startTime(), "kept from the running status");
        assertEquals("2026-11-22T08:01:00Z", done.completionTime());
        assertEquals(0, done.bytesPerSecond());
    }

    @Test
    void unchangedConditionKeepsItsTransitionTime() {
        SplitRequestStatus a = SplitStatusMirror.fromProgress(accepted(), 1, "v", progress("FILLING", 10), NOW);
        SplitRequestStatus b = SplitStatusMirror.fromProgress(a, 1, "v", progress("FILLING", 20), NOW.plusSeconds(30));
        assertEquals(
                Conditions.find(a.conditions(), "Complete").getLastTransitionTime(),
                Conditions.find(b.conditions(), "Complete").getLastTransitionTime());
        assertEquals(2, b.conditions().size(), "Accepted and Complete, no duplicates: " + b.conditions());
    }

    @Test
    void milestonesOnceEachEvenWhenJumped() {
        SplitRequestStatus a = SplitStatusMirror.fromProgress(accepted(), 1, "v", progress("FILLING", 10), NOW);
        assertEquals(List.of("SplitStarted"), reasons(SplitMilestones.between(accepted(), a, "copy", "x")));
        SplitRequestStatus b = SplitStatusMirror.fromProgress(a, 1, "v", progress("FILLING", 80), NOW);
        assertEquals(
                List.of("SplitProgress", "SplitProgress", "SplitProgress"),
                reasons(SplitMilestones.between(a, b, "copy", "x")));
        assertEquals(List.of(), reasons(SplitMilestones.between(b, b, "copy", "x")), "no news, no event");
        SplitRequestStatus c = SplitStatusMirror.fromProgress(b, 1, "v", progress("DONE", 100), NOW);
        assertEquals(List.of("SplitCompleted"), reasons(SplitMilestones.between(b, c, "copy", "x")));
        SplitRequestStatus failed = SplitStatusMirror.failed(accepted(), 1, "v", "OUT_OF_SPACE", "0 B free", NOW);
        List<ObjectEvent> events = SplitMilestones.between(accepted(), failed, "copy", "x");
        assertEquals(1, events.size());
        assertEquals(EventType.Warning, events.getFirst().type());
        assertEquals(
                "copy split of volume v failed: OUT_OF_SPACE: 0 B free",
                events.getFirst().message());
    }

    private static SplitRequestStatus accepted() {
        return SplitStatusMirror.accepted(null, 1, "v", "splitting", NOW);
    }

    private static SplitProgress progress(String phase, int percent) {
        return new SplitProgress(
                "copy",
                phase,
                percent,
                percent,
                100,
                percent * 1024L,
                1024,
                5,
                "",
                phase.equals("QUEUED") ? "" : "2026-11-22T07:00:00Z",
                "");
    }

    private static List<String> reasons(List<ObjectEvent> events) {
        return events.stream().map(ObjectEvent::reason).toList();
    }
}
