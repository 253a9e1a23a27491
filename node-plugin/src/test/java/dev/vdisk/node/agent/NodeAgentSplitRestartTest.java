package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.api.agent.SplitStatusFile;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Splits across agent restarts (a real agent closed and started again on the same pool and state directory): queued
 * requests come back queued and run, finished statuses stay readable, a clone whose requested split never started gets
 * it, a resume and cancels survive an agent killed before its next consistency point ({@link SplitCrashAgentChild}),
 * and {@code bin/vdisk split --status} reports a running agent's splits from its status file.
 */
@ExtendWith(Privileged.class)
class NodeAgentSplitRestartTest {
    private static final long MIB = 1 << 20;
    private static final int DATA = (int) (6 * MIB);

    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft() throws Exception {
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    /** Rate of the splits of the crash test: 6 MiB of data take about 6 s. */
    static final long CRASH_RATE = MIB;

    private AgentConfig config(int maxSplits) {
        return config(dir, maxSplits);
    }

    static AgentConfig config(Path dir, int maxSplits) {
        return new AgentConfig(
                        dir.resolve("pool"),
                        OptionalLong.of(256 * MIB),
                        dir.resolve("state"),
                        dir.resolve("kubelet"),
                        "n1",
                        4,
                        FuseConfig.defaults().withWorkers(4))
                .withOptions(AgentOptions.defaults().withMaxSplits(maxSplits));
    }

    /** A source volume with 6 MiB of data and its snapshot {@code snap-1}. */
    private static void source(NodeAgent agent) throws Exception {
        agent.createVolume("pvc-src", 16 * MIB);
        byte[] data = new byte[DATA];
        new Random(7).nextBytes(data);
        StagedVolume staged = new StagedVolume(
                "pvc-src",
                agent.config().kubeletDir().resolve("s-src"),
                true,
                "",
                List.of(),
                "SINGLE_NODE_WRITER",
                Map.of());
        try (var held = agent.locks().lock("pvc-src")) {
            agent.staging().stage(staged);
            agent.staged().put(staged);
        }
        try (FileChannel ch =
                FileChannel.open(agent.attached("pvc-src").orElseThrow().device(), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(data), 0);
            ch.force(true);
        } finally {
            try (var held = agent.locks().lock("pvc-src")) {
                agent.staging().unstage(staged, false);
                agent.staged().remove("pvc-src");
            }
        }
        agent.createSnapshot("snap-1", "pvc-src");
    }

    @Test
    void queuedSplitsSurviveARestartAndFinishedOnesKeepTheirStatus() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config(1))) {
            source(agent);
            for (String c : List.of("pvc-a", "pvc-b", "pvc-c", "pvc-d")) {
                agent.cloneVolume(c, "snap-1", 16 * MIB, Map.of());
            }
            assertFalse(agent.startSplit("pvc-a", "share", MIB).queued(), "1 MiB/s over 6 MiB: runs for seconds");
            assertTrue(agent.startSplit("pvc-b", "copy", 0).queued());
            assertTrue(agent.startSplit("pvc-c", "share", 0).queued());
            assertTrue(agent.startSplit("pvc-d", "copy", 0).queued());
            agent.cancelSplit("pvc-d");
            // the running split's request stays recorded until it ends: the engine's record of it is durable only
            // at its next consistency point, and a crash before that must not lose it
            assertEquals(List.of("pvc-a", "pvc-b", "pvc-c"), recordedRequests());
        }
        try (NodeAgent agent = NodeAgent.start(config(1))) {
            SplitStatus b = agent.splitStatus("pvc-b").orElseThrow(() -> new AssertionError("queued split forgotten"));
            assertTrue(b.queued() && b.phase().equals("QUEUED") && b.mode().equals("copy"), b.toString());
            assertTrue(agent.splitStatus("pvc-c").orElseThrow().queued(), "still queued behind the resumed pvc-a");
            assertEquals("CANCELLED", agent.splitStatus("pvc-d").orElseThrow().phase(), "a cancel outlives a restart");
            for (String c : List.of("pvc-a", "pvc-b", "pvc-c")) {
                awaitPhase(agent, c, SplitStatus.DONE);
            }
            assertEquals(0, agent.chainDepth("pvc-b"), "the restored copy split really ran");
            assertEquals(1, agent.chainDepth("pvc-d"), "the cancelled one did not");
        }
        try (NodeAgent agent = NodeAgent.start(config(1))) {
            for (String c : List.of("pvc-a", "pvc-b", "pvc-c")) {
                SplitStatus s = agent.splitStatus(c).orElseThrow(() -> new AssertionError(c + ": DONE forgotten"));
                assertEquals(SplitStatus.DONE, s.phase(), s.toString());
                assertTrue(s.segmentsFilled() > 0 && s.bytesRelocated() >= DATA, "counts kept: " + s);
            }
            assertEquals(
                    List.of("pvc-a", "pvc-b", "pvc-c", "pvc-d"),
                    agent.splits().stream().map(SplitStatus::volumeId).toList());
            assertEquals(List.of(), recordedRequests(), "ended splits leave no request behind");
            agent.deleteVolume("pvc-a");
            assertTrue(agent.splitStatus("pvc-a").isEmpty(), "a deleted volume's status goes with it");
            agent.createVolume("pvc-a", MIB);
            assertTrue(agent.splitStatus("pvc-a").isEmpty(), "a new volume of the same ID has no split");
        }
    }

    /** The volumes of the requests in {@code <pool>/split-requests}, in order. */
    private List<String> recordedRequests() {
        return new SplitRecords(dir.resolve("pool"))
                .read().queued().stream().map(SplitRecords.Queued::volumeId).toList();
    }

    @Test
    void aRequestedSplitThatNeverStartedIsStartedAtTheNextStart() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config(2))) {
            source(agent);
            // the controller wrote the request with the clone, then crashed before asking for the split
            agent.cloneVolume("pvc-crash", "snap-1", 16 * MIB, Map.of(RequestedSplits.ATTRIBUTE, "copy"));
            agent.cloneVolume("pvc-plain", "snap-1", 16 * MIB, Map.of());
            agent.cloneVolume("pvc-stopped", "snap-1", 16 * MIB, Map.of(RequestedSplits.ATTRIBUTE, "share"));
            agent.startSplit("pvc-stopped", "share", 64 * 1024);
            agent.cancelSplit("pvc-stopped");
            awaitPhase(agent, "pvc-stopped", "CANCELLED");
        }
        try (NodeAgent agent = NodeAgent.start(config(2))) {
            SplitStatus s = awaitPhase(agent, "pvc-crash", SplitStatus.DONE);
            assertEquals("copy", s.mode());
            assertEquals(0, agent.chainDepth("pvc-crash"));
            assertTrue(agent.splitStatus("pvc-plain").isEmpty(), "no request, no split");
            assertEquals(
                    "CANCELLED",
                    agent.splitStatus("pvc-stopped").orElseThrow().phase(),
                    "a split the user cancelled is not restarted behind their back");
            assertEquals(0, RequestedSplits.startMissing(agent), "nothing left to start: idempotent");
        }
    }

    /**
     * Issue 5's resume across a crash, through a real agent process killed with SIGKILL before its next consistency
     * point: a cancelled split the user resumed runs to DONE (the engine's durable record still says CANCELLED), and
     * a cancel acknowledged before the kill stays cancelled, both for a split the engine had durably RUNNING and for
     * one started in the dead process (whose request was in the records).
     */
    @Test
    void aResumeAndACancelAcknowledgedBeforeACrashHoldAfterIt() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config(3))) {
            source(agent);
            for (String c : List.of("pvc-resumed", "pvc-cancelled", "pvc-fresh")) {
                agent.cloneVolume(c, "snap-1", 16 * MIB, Map.of());
            }
            agent.startSplit("pvc-resumed", "share", CRASH_RATE);
            agent.cancelSplit("pvc-resumed");
            awaitPhase(agent, "pvc-resumed", "CANCELLED");
            agent.startSplit("pvc-cancelled", "share", CRASH_RATE); // RUNNING, durable at the close
        }
        // the child's cancels each take a point; the resume comes last, so that no point follows it before the kill
        killAfterReady(crashChild("cancel:pvc-cancelled", "start:pvc-fresh", "cancel:pvc-fresh", "start:pvc-resumed"));
        try (NodeAgent agent = NodeAgent.start(config(3))) {
            SplitStatus r = agent.splitStatus("pvc-resumed").orElseThrow();
            assertTrue(
                    List.of("SCANNING", "FILLING", "RELEASING", SplitStatus.DONE)
                            .contains(r.phase()),
                    "the user's resume before the crash was lost: " + r);
            for (String c : List.of("pvc-cancelled", "pvc-fresh")) {
                assertEquals(
                        "CANCELLED",
                        agent.splitStatus(c).orElseThrow().phase(),
                        c + ": a cancel acknowledged before the crash was undone");
            }
            awaitPhase(agent, "pvc-resumed", SplitStatus.DONE);
            assertEquals(0, agent.chainDepth("pvc-resumed"));
            for (String c : List.of("pvc-cancelled", "pvc-fresh")) {
                assertEquals("CANCELLED", agent.splitStatus(c).orElseThrow().phase(), c);
                assertEquals(1, agent.chainDepth(c), c + " still reads through its snapshot");
            }
            // the split's watcher thread writes the records after the task reports DONE: give it a moment
            assertEquals(List.of(), awaitNoRecordedRequests(), "no request left to restart");
        }
    }

    /** The recorded requests once they are empty, or as they are after 10 s. */
    private List<String> awaitNoRecordedRequests() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<String> r = recordedRequests();
        while (!r.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            r = recordedRequests();
        }
        return r;
    }

    private Process crashChild(String... ops) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED",
                "-Xshare:auto",
                "-cp",
                System.getProperty("java.class.path"),
                SplitCrashAgentChild.class.getName(),
                dir.toString()));
        cmd.addAll(List.of(ops));
        return new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    /** Waits for the child's READY and kills it with SIGKILL at once; fails if it died or did not get there. */
    private static void killAfterReady(Process child) throws Exception {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                // the child's other output (its log goes to stderr)
            }
            assertEquals(
                    "READY",
                    line,
                    "the child agent died before its operations were done (exit "
                            + (child.isAlive() ? "none" : child.exitValue()) + ")");
        } finally {
            child.destroyForcibly(); // SIGKILL
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed child did not go away");
        }
    }

    @Test
    void theCommandLineReportsARunningAgentsSplits() throws Exception {
        Path vdisk = Path.of("..", "bin", "vdisk").toAbsolutePath().normalize();
        Path pool = dir.resolve("pool");
        try (NodeAgent agent = NodeAgent.start(config(1))) {
            source(agent);
            agent.cloneVolume("pvc-slow", "snap-1", 16 * MIB, Map.of());
            agent.cloneVolume("pvc-next", "snap-1", 16 * MIB, Map.of());
            agent.startSplit("pvc-slow", "copy", 512 * 1024);
            agent.startSplit("pvc-next", "share", 0);
            Thread.sleep(2 * SplitStatusPublisher.PERIOD_MILLIS);

            SplitStatusFile.Contents c = SplitStatusFile.read(pool).orElseThrow();
            assertEquals(ProcessHandle.current().pid(), c.pid());
            assertTrue(System.currentTimeMillis() - c.writtenMillis() < 3000, "rewritten every second");
            Command.Result r = Command.tryRun(60, vdisk.toString(), "--pool", pool.toString(), "split", "--status");
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(
                    r.output()
                            .contains("pool in use by node agent pid "
                                    + ProcessHandle.current().pid()),
                    r.output());
            assertTrue(
                    r.output()
                            .lines()
                            .anyMatch(l -> l.startsWith("pvc-slow")
                                    && l.contains("copy")
                                    && (l.contains("filling") || l.contains("scanning"))),
                    r.output());
            assertTrue(r.output().lines().anyMatch(l -> l.startsWith("pvc-next") && l.contains("queued")), r.output());
        }
        assertFalse(Files.exists(pool.resolve(SplitStatusFile.NAME)), "removed when the agent stops");
        // offline again: the command opens the pool and reads the engine's records (pvc-slow was interrupted)
        Command.Result offline = Command.tryRun(60, vdisk.toString(), "--pool", pool.toString(), "split", "--status");
        assertEquals(0, offline.exitCode(), offline.output());
        assertTrue(offline.output().lines().anyMatch(l -> l.startsWith("pvc-slow")), offline.output());
    }

    private static SplitStatus awaitPhase(NodeAgent agent, String volumeId, String phase) throws InterruptedException {
        long deadline = System.nanoTime() + 90_000_000_000L;
        SplitStatus s = null;
        while (System.nanoTime() < deadline) {
            s = agent.splitStatus(volumeId).orElse(null);
            if (s != null && s.phase().equals(phase)) {
                return s;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("split of " + volumeId + " did not reach " + phase + " in 90 s: " + s);
    }
}
