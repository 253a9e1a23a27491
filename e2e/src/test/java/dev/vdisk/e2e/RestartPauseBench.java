package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vdisk.e2e.HandoverRig.Stop;
import dev.vdisk.node.testing.Privileged;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restart benchmark ({@code bin/vdisk-bench restart}, e2e/bench/restart.sh; not a test: no name a test run
 * picks up). {@link HandoverRig} with a holder; {@code vdisk.bench.restarts} rounds (default 20), alternating
 * SIGTERM and SIGKILL. Each round first measures the peer, a window of the same length without a restart (the
 * writers' longest operation in it), then the restart's pause (the longest operation in the window around it).
 * Prints one {@code RESULT kind pause_ms peer_ms restart_ms} line per round for the script to summarize; fails if
 * any writer saw an error or lost a write.
 */
@ExtendWith({Privileged.class, HandoverKernel.class})
class RestartPauseBench {
    private static final Duration SETTLE = Duration.ofMillis(1500);

    @TempDir
    Path dir;

    @Test
    void restartPauses() throws Exception {
        int rounds = Integer.getInteger("vdisk.bench.restarts", 20);
        try (HandoverRig rig = HandoverRig.start(dir, true)) {
            Thread.sleep(SETTLE.toMillis());
            rig.takeLongest();
            List<String> results = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                Stop how = i % 2 == 0 ? Stop.SIGTERM : Stop.SIGKILL;
                long window = System.nanoTime();
                Thread.sleep(SETTLE.toMillis() * 2);
                Duration peer = rig.takeLongest();
                window = System.nanoTime() - window;
                long t0 = System.nanoTime();
                Duration restart = rig.restart(how);
                Thread.sleep(Math.max(0, SETTLE.toMillis() * 2 - (System.nanoTime() - t0) / 1_000_000));
                Duration pause = rig.takeLongest();
                results.add(String.format(
                        "RESULT %s %d %d %d", how, pause.toMillis(), peer.toMillis(), restart.toMillis()));
                System.out.println(results.getLast() + " (peer window " + window / 1_000_000 + " ms)");
            }
            List<IoReport> reports = rig.stopWriters();
            reports.forEach(r -> System.out.println("REPORT " + r));
            for (IoReport r : reports) {
                assertEquals(0, r.errors() + r.lost(), r.toString());
            }
            rig.unstageAndStop();
        }
    }
}
