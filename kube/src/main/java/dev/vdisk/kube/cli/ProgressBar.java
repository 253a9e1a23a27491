package dev.vdisk.kube.cli;

import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestStatus;
import dev.vdisk.kube.split.ByteUnits;
import io.fabric8.kubernetes.api.model.Condition;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;

/**
 * The live line of {@code kubectl vdisk split --wait}: on a terminal one line redrawn in place, otherwise (piped,
 * logged) a new line each time the phase or the percent changes.
 */
final class ProgressBar {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private String last;
    private boolean drawn;

    ProgressBar(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    void show(SplitRequestStatus status) {
        String line = render(status);
        if (line.equals(last)) {
            return;
        }
        if (terminal) {
            out.print("\r" + line + (last != null && last.length() > line.length()
                    ? " ".repeat(last.length() - line.length()) : ""));
        } else {
            out.println(line);
        }
        out.flush();
        last = line;
        drawn = true;
    }

    void finish() {
        if (terminal && drawn) {
            out.println();
        }
    }

    static String render(SplitRequestStatus s) {
        SplitRequestPhase phase = s == null || s.phase() == null ? SplitRequestPhase.Pending : s.phase();
        int percent = s == null ? 0 : Math.clamp(s.percent(), 0, 100);
        int filled = percent * WIDTH / 100;
        StringBuilder b = new StringBuilder();
        b.append('[').append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append(']');
        b.append(String.format(Locale.ROOT, " %3d%% %-9s", percent, phase));
        if (s != null && (phase == SplitRequestPhase.Running || phase == SplitRequestPhase.Succeeded)) {
            b.append(' ').append(ByteUnits.format(s.bytesRelocated()));
            if (phase == SplitRequestPhase.Running) {
                b.append("  ").append(ByteUnits.format(s.bytesPerSecond())).append("/s  ETA ")
                        .append(eta(s.etaSeconds()));
            }
        }
        if (phase == SplitRequestPhase.Pending || phase == SplitRequestPhase.Queued) {
            Condition waiting = s == null ? null : s.conditions() == null ? null : s.conditions().stream()
                    .filter(c -> "False".equals(c.getStatus())).findFirst().orElse(null);
            b.append(waiting == null ? " waiting for the controller"
                    : " " + waiting.getReason() + ": " + Objects.toString(waiting.getMessage(), ""));
        }
        return b.toString().stripTrailing();
    }

    static String eta(long seconds) {
        if (seconds < 0) {
            return "?";
        }
        return seconds >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds % 3600 / 60,
                seconds % 60) : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
