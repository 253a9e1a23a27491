package dev.vdisk.kube.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.kube.reconcile.ObjectEvent;
import dev.vdisk.kube.resource.SplitProgress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Split progress and milestones derived from two statuses only: none repeated, none lost, times kept. */
class SplitTrackingTest {
    private static final Instant T0 = Instant.parse("2026-11-22T07:00:00Z");

    private static SplitStatus status(String phase, long scanned, boolean queued) {
        return new SplitStatus("pvc-c", "copy", phase, scanned, 100, 0, scanned * 4096, 1000.4, 5, "", queued);
    }

    private static List<String> reasons(SplitProgress before, SplitProgress after) {
        return SplitTracking.passed(before, after, "test").stream()
                .map(ObjectEvent::reason)
                .toList();
    }

    @Test
    void queuedThenRunningThenDone() {
        SplitProgress queued = SplitTracking.progress(status("QUEUED", 0, true), null, T0);
        assertEquals("QUEUED", queued.phase());
        assertEquals("", queued.startTime(), "not started while queued");
        assertEquals(List.of(), reasons(null, queued));

        SplitProgress running = SplitTracking.progress(status("FILLING", 30, false), queued, T0.plusSeconds(5));
        assertEquals(30, running.percent());
        assertEquals("2026-11-22T07:00:05Z", running.startTime());
        assertEquals(1000, running.bytesPerSecond());
        assertEquals(List.of("SplitStarted", "SplitProgress"), reasons(queued, running), "started, passed 25 %");

        SplitProgress later = SplitTracking.progress(status("FILLING", 40, false), running, T0.plusSeconds(9));
        assertEquals(running.startTime(), later.startTime(), "the start is kept");
        assertEquals(List.of(), reasons(running, later), "no milestone between 30 and 40 %");
        assertEquals(List.of(), reasons(later, later), "the same status again: nothing");

        SplitProgress done = SplitTracking.progress(status(SplitStatus.DONE, 100, false), later, T0.plusSeconds(20));
        assertEquals(100, done.percent());
        assertEquals("2026-11-22T07:00:20Z", done.completionTime());
        assertEquals(List.of("SplitCompleted"), reasons(later, done));
        SplitProgress again = SplitTracking.progress(status(SplitStatus.DONE, 100, false), done, T0.plusSeconds(99));
        assertEquals(done, again, "a finished split's status does not move (a restart rewrites nothing)");
        assertTrue(SplitTracking.finished(again));
    }

    /**
     * A 2 GiB clone holding 400 MB at its start: the cursor is at 20 % of the clone when all the data has moved, and
     * then crosses the empty rest at once; the percent follows the bytes, so each milestone fires as the data moves.
     */
    @Test
    void theMilestonesFollowTheDataNotTheCursor() {
        long data = 400L << 20;
        SplitProgress before = null;
        List<String> seen = new ArrayList<>();
        for (int tenth = 1; tenth <= 10; tenth++) {
            SplitStatus s = new SplitStatus(
                    "pvc-c", "copy", "FILLING", 2 * tenth, 100, 0, data * tenth / 10, data, 1000, 5, "", false);
            SplitProgress now = SplitTracking.progress(s, before, T0.plusSeconds(tenth));
            assertEquals(tenth * 10, now.percent(), "the bytes' share, not the cursor's " + 2 * tenth + " %");
            seen.addAll(reasons(before, now));
            before = now;
        }
        assertEquals(List.of("SplitStarted", "SplitProgress", "SplitProgress", "SplitProgress"), seen);
        assertEquals(
                30,
                SplitTracking.progress(status("FILLING", 30, false), null, T0).percent(),
                "without a count of the data, the cursor still measures");
    }

    @Test
    void cancelledThenResumedIsANewRun() {
        SplitProgress running = SplitTracking.progress(status("FILLING", 60, false), null, T0);
        SplitProgress cancelled = SplitTracking.progress(status("CANCELLED", 60, false), running, T0.plusSeconds(1));
        assertEquals(List.of("SplitCancelled"), reasons(running, cancelled));
        SplitProgress resumed = SplitTracking.progress(status("FILLING", 61, false), cancelled, T0.plusSeconds(2));
        assertEquals("", resumed.completionTime());
        assertEquals("2026-11-22T07:00:02Z", resumed.startTime(), "a new run starts now");
        assertEquals(
                List.of("SplitStarted", "SplitProgress"),
                reasons(cancelled, resumed),
                "started again; at 61 % it has passed 50 % in this run");
    }

    @Test
    void aRefusalIsAFailedSplitWithTheReason() {
        SplitProgress refused = SplitTracking.refused("share", "FAILED_PRECONDITION", "no backing", T0);
        assertEquals("FAILED_PRECONDITION: no backing", refused.message());
        assertEquals(List.of("SplitFailed"), reasons(null, refused));
    }
}
