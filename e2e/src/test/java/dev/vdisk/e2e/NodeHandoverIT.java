package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.e2e.HandoverRig.Stop;
import dev.vdisk.node.testing.Privileged;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: volumes survive a restart of the node plugin. A descriptor holder and a node process with
 * {@code --fd-holder}; an ext4 volume and a block volume staged and published, each with a {@link VerifyingWriter}
 * (O_DIRECT stamped blocks, fdatasync, read-back) -- see {@link HandoverRig}. The node is stopped with SIGTERM,
 * killed with SIGKILL, and killed ten times with random delays, each time started again: the writers see no I/O
 * error, every acknowledged write is read back, the file system stays read-write, the longest I/O pause stays under
 * 2 s (graceful) or 5 s (kill), and once everything is unstaged and both processes stopped, no mount, loop device or
 * process is left.
 *
 * <p>{@code -Dvdisk.e2e.holder=false} runs the same without a holder: it fails with the errors the issue describes
 * (the proof that these tests can fail; on 2026-12-07: EIO on both volumes within 0.1 s of a kill and EROFS on ext4
 * about 4 s later; EIO about 3 s after a SIGTERM).
 */
@ExtendWith({Privileged.class, HandoverKernel.class})
class NodeHandoverIT {
    private static final Duration GRACEFUL_PAUSE = Duration.ofSeconds(2);
    private static final Duration KILL_PAUSE = Duration.ofSeconds(5);
    private static final boolean HOLDER = Boolean.parseBoolean(System.getProperty("vdisk.e2e.holder", "true"));

    @TempDir
    Path dir;

    private HandoverRig rig;

    @BeforeEach
    void start() throws Exception {
        rig = HandoverRig.start(dir, HOLDER);
        Thread.sleep(1000);
    }

    @AfterEach
    void cleanUp() {
        if (rig != null) {
            rig.close();
        }
        assertTrue(KernelView.under(dir).isEmpty(), "leaked: " + KernelView.under(dir));
        assertEquals(List.of(), KernelView.processesUnder(dir), "processes left running");
    }

    @Test
    void sigtermThenStart() throws Exception {
        System.out.printf(
                "handover: SIGTERM + start took %d ms%n",
                rig.restart(Stop.SIGTERM).toMillis());
        Thread.sleep(1000);
        finish(GRACEFUL_PAUSE);
    }

    @Test
    void sigkillThenStart() throws Exception {
        System.out.printf(
                "handover: SIGKILL + start took %d ms%n",
                rig.restart(Stop.SIGKILL).toMillis());
        Thread.sleep(1000);
        finish(KILL_PAUSE);
    }

    @Test
    void tenSigkillsWithRandomDelays() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<Long> restarts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Thread.sleep(200 + random.nextInt(1800));
            restarts.add(rig.restart(Stop.SIGKILL).toMillis());
        }
        System.out.printf("handover: 10 SIGKILLs (seed %d), kill + start took %s ms%n", seed, restarts);
        Thread.sleep(1000);
        finish(KILL_PAUSE);
    }

    /** Checks what the writers saw, then unstages and stops everything: nothing may be left. */
    private void finish(Duration pauseLimit) throws Exception {
        boolean fsReadWrite = rig.fsReadWrite();
        List<IoReport> reports = rig.stopWriters();
        reports.forEach(r -> System.out.println("handover: " + r));
        System.out.println("handover: ext4 on fs is " + (fsReadWrite ? "read-write" : "READ-ONLY"));
        for (IoReport r : reports) {
            assertTrue(r.acknowledged() > 0, r.toString());
            assertEquals(0, r.errors(), "I/O errors: " + r + "\nlogs:\n" + rig.node.logs(30));
            assertEquals(0, r.lost(), "acknowledged writes lost: " + r);
        }
        assertTrue(fsReadWrite && rig.fsReadWrite(), "ext4 on fs went read-only");
        assertEquals(rig.staged(), rig.node.kernel(), "the same mounts and loop devices as before the restarts");
        for (IoReport r : reports) {
            assertTrue(
                    r.longestPause().compareTo(pauseLimit) < 0,
                    "longest pause " + r.longestPause().toMillis() + " ms, limit " + pauseLimit.toMillis() + " ms: " + r
                            + "\nlogs:\n" + rig.node.logs(15));
        }
        rig.unstageAndStop();
        assertTrue(rig.node.kernel().isEmpty(), "left after unstage and stop: " + rig.node.kernel());
        assertEquals(List.of(), KernelView.processesUnder(dir), "processes left running");
    }

    static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
