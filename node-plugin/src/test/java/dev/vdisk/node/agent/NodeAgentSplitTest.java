package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.engine.Lineage;
import dev.vdisk.engine.Pool;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Clone splits through the agent API, on a real pool and data path. */
@ExtendWith(Privileged.class)
class NodeAgentSplitTest {
    private static final long MIB = 1 << 20;
    private static final int DATA = (int) (6 * MIB);

    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft() throws Exception {
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    private AgentConfig config(int maxSplits) {
        return NodeAgentSplitRestartTest.config(dir, maxSplits);
    }

    @Test
    void aCopySplitFinishesWithTheSameDataAndNoBacking() throws Exception {
        byte[] data = random(1);
        try (NodeAgent agent = NodeAgent.start(config(2))) {
            agent.createVolume("pvc-src", 16 * MIB);
            write(agent, "pvc-src", data);
            agent.createSnapshot("snap-1", "pvc-src");
            agent.cloneVolume("pvc-c", "snap-1", 16 * MIB, Map.of());
            assertTrue(agent.splitStatus("pvc-c").isEmpty(), "no split before one is asked for");
            assertEquals(0, agent.chainDepth("pvc-src"));
            assertEquals(1, agent.chainDepth("pvc-c"));
            agent.createSnapshot("snap-c", "pvc-c");
            agent.cloneVolume("pvc-cc", "snap-c", 16 * MIB, Map.of());
            assertEquals(2, agent.chainDepth("pvc-cc"), "a clone of a clone's snapshot");
            agent.deleteVolume("pvc-cc");
            agent.deleteSnapshot("snap-c");
            assertEquals(
                    AgentReason.NOT_FOUND,
                    assertThrows(AgentException.class, () -> agent.chainDepth("nope"))
                            .reason());

            SplitStatus started = agent.startSplit("pvc-c", "copy", 0);
            assertEquals("copy", started.mode());
            assertFalse(started.queued());
            SplitStatus done = awaitPhase(agent, "pvc-c", SplitStatus.DONE);
            assertTrue(done.segmentsFilled() > 0, "the snapshot's data was copied: " + done);
            assertEquals(
                    done.bytesRelocated(),
                    done.bytesToRelocate(),
                    "the agent reports what there was to relocate," + " which progress is measured against: " + done);
            assertEquals(done.phase(), agent.startSplit("pvc-c", "copy", 0).phase(), "a retry: the same status");
            assertEquals(
                    AgentReason.FAILED_PRECONDITION,
                    assertThrows(AgentException.class, () -> agent.startSplit("pvc-c", "share", 0))
                            .reason(),
                    "modes cannot be mixed");
            assertEquals(
                    List.of("pvc-c"),
                    agent.splits().stream().map(SplitStatus::volumeId).toList());

            agent.deleteSnapshot("snap-1");
            agent.deleteVolume("pvc-src");
            assertArrayEquals(data, read(agent, "pvc-c"), "the clone reads what the snapshot held");
            assertEquals(0, agent.chainDepth("pvc-c"), "split: no chain");
        }
        try (Pool pool = Pool.open(dir.resolve("pool"))) {
            Lineage clone = pool.lineage().all().stream()
                    .filter(l -> l.name().equals("pvc-c"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(0, clone.backingId(), "the clone has no backing snapshot any more");
            assertEquals(
                    1,
                    pool.lineage().all().size(),
                    "the snapshot was freed with its last dependent: "
                            + pool.lineage().all());
        }
    }

    @Test
    void withOneSlotTheSecondSplitWaitsThenRuns() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config(1))) {
            agent.createVolume("pvc-src", 16 * MIB);
            write(agent, "pvc-src", random(2));
            agent.createSnapshot("snap-1", "pvc-src");
            agent.cloneVolume("pvc-a", "snap-1", 16 * MIB, Map.of());
            agent.cloneVolume("pvc-b", "snap-1", 16 * MIB, Map.of());

            // 2 MiB/s over 6 MiB: the first runs for seconds, long enough to see the second wait
            assertFalse(agent.startSplit("pvc-a", "share", 2 * MIB).queued());
            SplitStatus b = agent.startSplit("pvc-b", "share", 0);
            assertTrue(b.queued(), "one slot, taken: " + b);
            assertEquals("QUEUED", agent.splitStatus("pvc-b").orElseThrow().phase());
            assertTrue(agent.splits().stream().anyMatch(s -> s.volumeId().equals("pvc-b") && s.queued()));
            assertEquals(
                    AgentReason.FAILED_PRECONDITION,
                    assertThrows(AgentException.class, () -> agent.startSplit("pvc-b", "copy", 0))
                            .reason(),
                    "queued in the other mode");

            awaitPhase(agent, "pvc-a", SplitStatus.DONE);
            SplitStatus doneB = awaitPhase(agent, "pvc-b", SplitStatus.DONE);
            assertFalse(doneB.queued(), "started once the first finished");
        }
    }

    @Test
    void cancelStopsASplitAndAnotherRequestResumesIt() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config(1))) {
            agent.createVolume("pvc-src", 16 * MIB);
            write(agent, "pvc-src", random(3));
            agent.createSnapshot("snap-1", "pvc-src");
            agent.cloneVolume("pvc-a", "snap-1", 16 * MIB, Map.of());
            agent.cloneVolume("pvc-b", "snap-1", 16 * MIB, Map.of());

            agent.startSplit("pvc-a", "copy", MIB);
            assertTrue(agent.startSplit("pvc-b", "copy", 0).queued());
            agent.cancelSplit("pvc-b");
            assertEquals("CANCELLED", agent.splitStatus("pvc-b").orElseThrow().phase(), "a queued split is dropped");
            assertFalse(agent.splitStatus("pvc-b").orElseThrow().queued());
            agent.cancelSplit("pvc-a");
            SplitStatus cancelled = awaitPhase(agent, "pvc-a", "CANCELLED");
            assertTrue(cancelled.segmentsScanned() < cancelled.segmentsTotal(), "stopped early: " + cancelled);
            agent.cancelSplit("pvc-a"); // idempotent
            agent.cancelSplit("nope");

            assertFalse(agent.startSplit("pvc-a", "copy", 0).queued(), "resumed from its cursor");
            awaitPhase(agent, "pvc-a", SplitStatus.DONE);
        }
    }

    @Test
    void refusals() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config(2))) {
            agent.createVolume("pvc-plain", 8 * MIB);
            assertEquals(
                    AgentReason.NOT_FOUND,
                    assertThrows(AgentException.class, () -> agent.startSplit("nope", "copy", 0))
                            .reason());
            AgentException notClone =
                    assertThrows(AgentException.class, () -> agent.startSplit("pvc-plain", "copy", 0));
            assertEquals(AgentReason.FAILED_PRECONDITION, notClone.reason());
            assertEquals("volume pvc-plain has no backing snapshot", notClone.getMessage());
            assertEquals(
                    AgentReason.INVALID_ARGUMENT,
                    assertThrows(AgentException.class, () -> agent.startSplit("pvc-plain", "move", 0))
                            .reason());
            assertEquals(
                    AgentReason.INVALID_ARGUMENT,
                    assertThrows(AgentException.class, () -> agent.startSplit("pvc-plain", "copy", -1))
                            .reason());
            assertTrue(agent.splits().isEmpty());
        }
    }

    private static SplitStatus awaitPhase(NodeAgent agent, String volumeId, String phase) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        SplitStatus s = null;
        while (System.nanoTime() < deadline) {
            s = agent.splitStatus(volumeId).orElse(null);
            if (s != null && s.phase().equals(phase)) {
                return s;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("split of " + volumeId + " did not reach " + phase + " in 60 s: " + s);
    }

    private static byte[] random(long seed) {
        byte[] b = new byte[DATA];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Stages the volume as a block device, runs {@code io} on its loop device, unstages it. */
    private static void withDevice(NodeAgent agent, String volumeId, DeviceIo io) throws Exception {
        StagedVolume staged = new StagedVolume(
                volumeId,
                agent.config().kubeletDir().resolve("s-" + volumeId),
                true,
                "",
                List.of(),
                "SINGLE_NODE_WRITER",
                Map.of());
        try (var held = agent.locks().lock(volumeId)) {
            agent.staging().stage(staged);
            agent.staged().put(staged);
        }
        try {
            int loop = agent.attached(volumeId).orElseThrow().loopNumber();
            try (FileChannel ch =
                    FileChannel.open(Path.of("/dev/loop" + loop), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                io.run(ch);
                ch.force(true);
            }
        } finally {
            try (var held = agent.locks().lock(volumeId)) {
                agent.staging().unstage(staged, false);
                agent.staged().remove(volumeId);
            }
        }
    }

    private static void write(NodeAgent agent, String volumeId, byte[] data) throws Exception {
        withDevice(agent, volumeId, ch -> {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b, b.position());
            }
        });
    }

    private static byte[] read(NodeAgent agent, String volumeId) throws Exception {
        byte[] out = new byte[DATA];
        withDevice(agent, volumeId, ch -> {
            ByteBuffer b = ByteBuffer.wrap(out);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // until full
            }
        });
        return out;
    }

    @FunctionalInterface
    private interface DeviceIo {
        void run(FileChannel ch) throws Exception;
    }
}
