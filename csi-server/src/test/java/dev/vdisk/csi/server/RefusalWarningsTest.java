package dev.vdisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A flood of refused calls makes one warning per 10 s, which counts the ones not logged. */
class RefusalWarningsTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aFloodOfRefusalsWarnsOncePerTenSecondsWithTheCountOfTheRest() {
        var quiet = new RefusalWarnings(Duration.ofSeconds(10), 0);
        assertEquals(0, quiet.warnNow(0), "the first refusal is warned about");
        for (int i = 1; i <= 1000; i++) {
            assertEquals(-1, quiet.warnNow(i * 9 * S / 1000), "refusal " + i + " within 10 s goes to debug");
        }
        assertEquals(1000, quiet.warnNow(10 * S), "the next warning counts them");
        assertEquals(-1, quiet.warnNow(11 * S));
        assertEquals(1, quiet.warnNow(30 * S));
        assertEquals("", quiet.held(0));
        assertEquals(" (7 more refused in the last 10 s, not logged)", quiet.held(7));
    }
}
