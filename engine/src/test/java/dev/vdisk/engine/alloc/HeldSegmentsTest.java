package dev.vdisk.engine.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HeldSegmentsTest {
    private static Set<Long> drain(LongList l) {
        Set<Long> s = new HashSet<>();
        for (int i = 0; i < l.size(); i++) {
            s.add(l.get(i));
        }
        assertEquals(l.size(), s.size(), "a segment was released twice");
        return s;
    }

    @Test
    void releasesOnlyWhatTheHoldNoLongerNamesOnceEach() {
        HeldSegments h = new HeldSegments();
        h.add(10);
        h.add(11);
        h.add(12);
        h.add(10); // a repeat is one segment
        assertEquals(3, h.size());
        LongList out = new LongList();
        assertEquals(1, h.release(v -> v != 11, out), "only 11 left the hold");
        assertEquals(Set.of(11L), drain(out));
        assertEquals(2, h.size());
        out = new LongList();
        assertEquals(2, h.release(v -> false, out));
        assertEquals(Set.of(10L, 12L), drain(out));
        assertEquals(0, h.size());
    }

    @Test
    void aClaimedSegmentHeldAgainIsReleasedOnce() {
        HeldSegments h = new HeldSegments();
        h.add(20);
        h.remove(20); // replay claimed it: a stale entry must not release it later
        LongList out = new LongList();
        assertEquals(0, h.release(v -> false, out));
        h.add(20);
        h.remove(20);
        h.add(20); // freed again while named: held once
        out = new LongList();
        assertEquals(1, h.release(v -> false, out));
        assertEquals(Set.of(20L), drain(out));
    }

    @Test
    void manyClaimsStayLinear() {
        HeldSegments h = new HeldSegments();
        int n = 200_000;
        for (long v = 1; v <= n; v++) {
            h.add(v);
        }
        long t0 = System.nanoTime();
        for (long v = 1; v <= n; v++) {
            h.remove(v); // a list scan per claim took seconds here
        }
        assertEquals(0, h.size());
        assertEquals(0, h.release(v -> false, new LongList()));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(true, ms < 5_000, "200,000 claims took " + ms + " ms");
    }
}
