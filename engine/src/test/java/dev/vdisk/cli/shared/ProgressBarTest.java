package dev.vdisk.cli.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The one progress line: its layout, and when it is drawn on a terminal and in a log. */
class ProgressBarTest {

    @Test
    void layoutIsLabelBarPercentStateDetails() {
        assertEquals(
                "[###############---------------]  50% Running   5.0 MiB",
                ProgressBar.render("", 50, "Running", "5.0 MiB"));
        assertEquals(
                "split c [#########---------------------]  30% 1MiB ETA 0:12",
                ProgressBar.render("split c", 30, "", "1MiB ETA 0:12"));
        assertEquals("[------------------------------]   0%", ProgressBar.render("", -5, "", ""));
        assertEquals("[##############################] 100% Succeeded", ProgressBar.render("", 140, "Succeeded", ""));
    }

    @Test
    void etaIsMinutesOrHours() {
        assertEquals("?", ProgressBar.eta(-1));
        assertEquals("0:12", ProgressBar.eta(12));
        assertEquals("1:00:05", ProgressBar.eta(3605));
    }

    @Test
    void aLogGetsALineOnlyWhenThePercentOrStateChanges() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar =
                new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, "w", Duration.ZERO);
        bar.show(10, "", "1 MiB");
        bar.show(10, "", "2 MiB");
        bar.show(11, "", "3 MiB");
        bar.show(11, "Done", "3 MiB");
        bar.finish();
        assertEquals(3, bytes.toString(StandardCharsets.UTF_8).lines().count(), bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aTerminalRedrawsInPlaceAndPadsAShorterLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar =
                new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, "", Duration.ZERO);
        bar.show(10, "", "1000 B");
        bar.show(10, "", "9 B");
        bar.finish();
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(
                "\r[###---------------------------]  10% 1000 B\r[###---------------------------]  10% 9 B   \n", text);
    }
}
