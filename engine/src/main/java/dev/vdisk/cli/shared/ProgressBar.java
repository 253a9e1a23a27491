package dev.vdisk.cli.shared;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * The live progress line of {@code vdisk write|read|split} and {@code kubectl vdisk split --wait}:
 * {@code LABEL [#########---------------------]  30% STATE     DETAILS}. On a terminal the line is redrawn in place,
 * at most every {@code redrawEvery} unless the percent or the state changed; piped or logged, a new line is written
 * only when the percent or the state changes, so a log gets at most about a hundred lines per task.
 *
 * <p>Not thread-safe: one thread (the one doing or following the work) calls {@link #show} and {@link #finish}.
 */
public final class ProgressBar {

    private static final int WIDTH = 30;
    /** "Succeeded", the longest state word, so that the details start in one column. */
    private static final int STATE_WIDTH = 9;

    private final PrintStream out;
    private final boolean terminal;
    private final String label;
    private final long redrawNanos;
    private String lastLine;
    private String lastKey;
    private long lastDrawNanos;
    private boolean drawn;

    /**
     * @param out         where the line goes (stderr for bin/vdisk, whose stdout may carry data; stdout for kubectl)
     * @param terminal    redraw one line in place rather than write a line per change
     * @param label       what is in progress, e.g. {@code split clone1}; empty for none
     * @param redrawEvery on a terminal, how often a line whose percent and state did not change may be redrawn
     */
    public ProgressBar(PrintStream out, boolean terminal, String label, Duration redrawEvery) {
        this.out = out;
        this.terminal = terminal;
        this.label = label;
        this.redrawNanos = redrawEvery.toNanos();
    }

    /** Shows the task at {@code percent} (clamped to 0..100), in {@code state} (may be empty), with details. */
    public void show(int percent, String state, String details) {
        int pct = Math.clamp(percent, 0, 100);
        String line = render(label, pct, state, details);
        String key = pct + " " + state;
        long now = System.nanoTime();
        boolean moved = !key.equals(lastKey);
        if (line.equals(lastLine) || (!moved && (!terminal || now - lastDrawNanos < redrawNanos))) {
            return;
        }
        if (terminal) {
            out.print("\r" + line
                    + (lastLine != null && lastLine.length() > line.length()
                            ? " ".repeat(lastLine.length() - line.length())
                            : ""));
        } else {
            out.println(line);
        }
        out.flush();
        lastLine = line;
        lastKey = key;
        lastDrawNanos = now;
        drawn = true;
    }

    /** Ends the redrawn line (a terminal's cursor goes to the next line); nothing when nothing was drawn. */
    public void finish() {
        if (terminal && drawn) {
            out.println();
            out.flush();
        }
    }

    /** The line without drawing it. */
    public static String render(String label, int percent, String state, String details) {
        int pct = Math.clamp(percent, 0, 100);
        int filled = pct * WIDTH / 100;
        StringBuilder b = new StringBuilder();
        if (!label.isEmpty()) {
            b.append(label).append(' ');
        }
        b.append('[')
                .append("#".repeat(filled))
                .append("-".repeat(WIDTH - filled))
                .append(']');
        b.append(String.format(Locale.ROOT, " %3d%%", pct));
        if (!state.isEmpty()) {
            b.append(' ').append(String.format(Locale.ROOT, "%-" + STATE_WIDTH + "s", state));
        }
        if (!details.isEmpty()) {
            b.append(' ').append(details);
        }
        return b.toString().stripTrailing();
    }

    /** Time left as {@code m:ss} or {@code h:mm:ss}; {@code ?} when unknown (negative). */
    public static String eta(long seconds) {
        if (seconds < 0) {
            return "?";
        }
        return seconds >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds % 3600 / 60, seconds % 60)
                : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
