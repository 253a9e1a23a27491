package dev.vdisk.e2e.kube;

import java.time.Duration;
import java.time.Instant;

/**
 * What an application pod of {@link #script} saw: it appends its counter to a file on its volume every half second,
 * syncs it, and prints {@code ok N} once both succeeded (an acknowledged write) or {@code error N}. Read from the
 * container's CRI log ({@code <time> stdout F ok 12}).
 */
record WriterLog(
        long ok, long errors, long lastAcknowledged, long longestPauseMillis, String firstError, String lastLine) {

    /** The shell loop; {@code file} is on the volume. */
    static String script(String file) {
        return "i=0; while true; do i=$((i+1)); if echo $i >> " + file + " && sync " + file + ";"
                + " then echo ok $i; else echo error $i; fi; sleep 0.5; done";
    }

    /**
     * A reader's check that the file holds every acknowledged write: its first {@code lastAcknowledged} lines are 1
     * to N in order.
     */
    String readerCheck(String file) {
        return "test \"$(head -n " + lastAcknowledged + " " + file + " | tr '\\n' ' ')\" = \"$(seq 1 "
                + lastAcknowledged + " | tr '\\n' ' ')\"";
    }

    static WriterLog parse(String criLog) {
        long ok = 0;
        long errors = 0;
        long last = 0;
        String firstError = "none";
        String lastLine = "";
        Instant previous = null;
        long longestPause = 0;
        for (String line : criLog.lines().toList()) {
            lastLine = line;
            if (line.matches(".* stdout F ok \\d+")) {
                ok++;
                last = Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
                // the time the kubelet stamped on the line: the pause is the longest gap between two acknowledgements
                Instant at = Instant.parse(line.substring(0, line.indexOf(' ')));
                if (previous != null) {
                    longestPause = Math.max(
                            longestPause, Duration.between(previous, at).toMillis());
                }
                previous = at;
            } else if (line.matches(".* stdout F error \\d+")) {
                errors++;
            } else if (line.contains(" stderr ") && firstError.equals("none")) {
                firstError = line;
            }
        }
        return new WriterLog(ok, errors, last, longestPause, firstError, lastLine);
    }

    @Override
    public String toString() {
        return ok + " writes acknowledged (the last " + lastAcknowledged + "), " + errors + " failed, longest gap"
                + " between two " + longestPauseMillis + " ms; first error message: " + firstError + "; last line: "
                + lastLine;
    }
}
