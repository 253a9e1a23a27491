package dev.vdisk.cli;

import java.io.PrintStream;
import java.util.Locale;

/** A progress bar on stderr for long transfers, redrawn at most five times a second; silent for small ones. */
final class Progress {
    private static final long MIN_BYTES = 64L << 20;
    private final PrintStream err;
    private final String what;
    private final long total;
    private final long start = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    Progress(PrintStream err, String what, long total) {
        this.err = err;
        this.what = what;
        this.total = total;
    }

    void update(long done) {
        if (total < MIN_BYTES) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < 200_000_000L && done < total) {
            return;
        }
        lastDraw = now;
        int pct = total <= 0 ? 100 : (int) (done * 100 / total);
        int bar = pct / 4;
        double secs = Math.max(1e-9, (now - start) / 1e9);
        err.printf(Locale.ROOT, "\r%s [%-25s] %3d%% %s %.0f MiB/s", what, "#".repeat(bar), pct, Sizes.format(done),
                done / secs / (1 << 20));
        drawn = true;
    }

    void finish() {
        if (drawn) {
            err.println();
        }
    }
}
