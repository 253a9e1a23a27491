package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.Vdisk;
import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The agent API the controller will call, on a real pool and data path. */
@ExtendWith(Privileged.class)
class NodeAgentTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft() throws Exception {
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    private AgentConfig config(OptionalLong poolSize) {
        return new AgentConfig(
                dir.resolve("pool"),
                poolSize,
                dir.resolve("state"),
                dir.resolve("kubelet"),
                "n1",
                4,
                FuseConfig.defaults().withWorkers(4));
    }

    @Test
    void createResizeDeleteAreIdempotentAndTyped() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config(OptionalLong.of(256 * MIB)))) {
            assertEquals(256 * MIB, agent.capacity().totalBytes());
            AgentVolume v = agent.createVolume("pvc-1", 10 * MIB + 1);
            assertEquals(new AgentVolume("pvc-1", 10 * MIB + 4096, 0, false), v, "rounded up to 4 KiB");
            assertEquals(v, agent.createVolume("pvc-1", 10 * MIB + 1), "same size again: the same volume");
            AgentException e = assertThrows(AgentException.class, () -> agent.createVolume("pvc-1", 20 * MIB));
            assertEquals(AgentReason.ALREADY_EXISTS, e.reason());
            assertEquals(
                    AgentReason.INVALID_ARGUMENT,
                    assertThrows(AgentException.class, () -> agent.createVolume("..", MIB))
                            .reason());
            assertEquals(32 * MIB, agent.resizeVolume("pvc-1", 32 * MIB).sizeBytes());
            assertEquals(32 * MIB, agent.resizeVolume("pvc-1", 16 * MIB).sizeBytes(), "never shrinks");
            assertEquals(
                    AgentReason.NOT_FOUND,
                    assertThrows(AgentException.class, () -> agent.resizeVolume("nope", MIB))
                            .reason());
            assertEquals(
                    List.of("pvc-1"),
                    agent.listVolumes().stream().map(AgentVolume::volumeId).toList());

            // a staged volume cannot be deleted
            StagedVolume staged = new StagedVolume(
                    "pvc-1",
                    agent.config().kubeletDir().resolve("s"),
                    true,
                    "",
                    List.of(),
                    "SINGLE_NODE_WRITER",
                    Map.of());
            try (var held = agent.locks().lock("pvc-1")) {
                agent.staging().stage(staged);
                agent.staged().put(staged);
            }
            assertTrue(agent.getVolume("pvc-1").orElseThrow().staged());
            AgentException refused = assertThrows(AgentException.class, () -> agent.deleteVolume("pvc-1"));
            assertEquals(AgentReason.FAILED_PRECONDITION, refused.reason());
            assertEquals(
                    "volume pvc-1 is staged on node " + agent.config().nodeId() + "; stop the pods using it (the"
                            + " CO unstages it) before deleting it",
                    refused.getMessage(),
                    "no host path");
            // growing a staged volume grows its loop device
            agent.resizeVolume("pvc-1", 48 * MIB);
            int loop = agent.attached("pvc-1").orElseThrow().loopNumber();
            assertEquals(
                    48 * MIB,
                    Long.parseLong(Files.readString(Path.of("/sys/block/loop" + loop + "/size"))
                                    .strip())
                            * 512);
            try (var held = agent.locks().lock("pvc-1")) {
                agent.staging().unstage(staged, false);
                agent.staged().remove("pvc-1");
            }
            agent.deleteVolume("pvc-1");
            agent.deleteVolume("pvc-1");
            assertEquals(Optional.empty(), agent.getVolume("pvc-1"));
        }
    }

    @Test
    void snapshotsAndClonesAreIdempotentTypedAndOutliveTheirSources() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config(OptionalLong.of(256 * MIB)))) {
            agent.createVolume("pvc-a", 8 * MIB);
            agent.createVolume("pvc-b", 8 * MIB);
            AgentSnapshot s = agent.createSnapshot("snap-1", "pvc-a");
            assertEquals("pvc-a", s.sourceVolumeId());
            assertEquals(8 * MIB, s.sizeBytes());
            assertEquals(s, agent.createSnapshot("snap-1", "pvc-a"), "a retry returns the same snapshot");
            assertEquals(
                    AgentReason.ALREADY_EXISTS,
                    assertThrows(AgentException.class, () -> agent.createSnapshot("snap-1", "pvc-b"))
                            .reason());
            assertEquals(
                    AgentReason.NOT_FOUND,
                    assertThrows(AgentException.class, () -> agent.createSnapshot("snap-2", "nope"))
                            .reason());
            assertFalse(agent.allocated("snap-1", 0).hasNext(), "nothing was written");

            AgentVolume clone = agent.cloneVolume("pvc-c", "snap-1", 16 * MIB, Map.of("name", "c"));
            assertEquals(16 * MIB, clone.sizeBytes(), "grown past the snapshot's size");
            assertEquals(Map.of("name", "c"), clone.attributes());
            assertEquals(clone, agent.cloneVolume("pvc-c", "snap-1", 16 * MIB, Map.of("name", "c")));
            assertEquals(
                    AgentReason.INVALID_ARGUMENT,
                    assertThrows(AgentException.class, () -> agent.cloneVolume("pvc-d", "snap-1", MIB, Map.of()))
                            .reason());
            assertEquals(
                    AgentReason.NOT_FOUND,
                    assertThrows(AgentException.class, () -> agent.cloneVolume("pvc-d", "nope", 8 * MIB, Map.of()))
                            .reason());

            // the source goes, the snapshot stays and still names it
            agent.deleteVolume("pvc-a");
            assertEquals("pvc-a", agent.getSnapshot("snap-1").orElseThrow().sourceVolumeId());
            // a snapshot with a dependent clone disappears for the caller; the clone stays
            agent.deleteSnapshot("snap-1");
            agent.deleteSnapshot("snap-1");
            assertEquals(Optional.empty(), agent.getSnapshot("snap-1"));
            assertEquals(List.of(), agent.listSnapshots());
            assertTrue(agent.getVolume("pvc-c").isPresent());

            List<AgentSnapshot> group = agent.createSnapshotGroup("g", Map.of("pvc-b", "g-b", "pvc-c", "g-c"));
            assertEquals(
                    List.of("g-b", "g-c"),
                    group.stream().map(AgentSnapshot::snapshotId).toList());
            assertEquals(
                    List.of("g", "g"),
                    group.stream().map(AgentSnapshot::groupId).toList());
            assertEquals(
                    AgentReason.ALREADY_EXISTS,
                    assertThrows(
                                    AgentException.class,
                                    () -> agent.createSnapshotGroup("g", Map.of("pvc-b", "g-b", "pvc-c", "g-x")))
                            .reason(),
                    "a group that exists only in part");
            assertEquals(group, agent.createSnapshotGroup("g", Map.of("pvc-b", "g-b", "pvc-c", "g-c")));
            assertEquals(
                    AgentReason.INVALID_ARGUMENT,
                    assertThrows(AgentException.class, () -> agent.delta("g-b", "g-c", 0))
                            .reason(),
                    "snapshots of different volumes");
            agent.deleteVolume("pvc-c");
            agent.deleteVolume("pvc-b");
        }
    }

    @Test
    void aNewPoolTakesNinetyPercentOfTheFreeSpaceAndIsOpenedNextTime() throws Exception {
        Files.createDirectories(dir.resolve("pool"));
        long free = Files.getFileStore(dir.resolve("pool")).getUsableSpace();
        try (NodeAgent agent = NodeAgent.start(config(OptionalLong.empty()))) {
            long total = agent.capacity().totalBytes();
            // 90% of the free space when the agent looked; other processes change it meanwhile, so allow a margin
            assertTrue(total > free / 100 * 85 && total < free / 100 * 95, "pool " + total + " of free " + free);
            agent.createVolume("keep", MIB);
        }
        try (NodeAgent agent = NodeAgent.start(config(OptionalLong.of(64 * MIB)))) {
            assertTrue(agent.getVolume("keep").isPresent(), "the existing pool was opened, not created again");
        }
    }

    @Test
    void asecondAgentOnTheSameStateDirectoryIsRefused() throws Exception {
        try (NodeAgent first = NodeAgent.start(config(OptionalLong.of(64 * MIB)))) {
            Exception e = assertThrows(Exception.class, () -> NodeAgent.start(config(OptionalLong.of(64 * MIB))));
            assertTrue(
                    e.getMessage().contains("state directory") || e.getMessage().contains("pool"), e.getMessage());
            assertTrue(first.listVolumes().isEmpty(), "the first agent still works");
        }
    }

    @Test
    void attributesAreStoredWithTheVolumeAndOutliveTheAgent() throws Exception {
        Path attrs = dir.resolve("pool/volume-attributes/pvc-a.attrs");
        try (NodeAgent agent = NodeAgent.start(config(OptionalLong.of(64 * MIB)))) {
            AgentVolume v =
                    agent.createVolume("pvc-a", MIB, Map.of("name", "pvc-a", "fsType", "xfs", "odd", "a=b c\n"));
            assertEquals(Map.of("name", "pvc-a", "fsType", "xfs", "odd", "a=b c\n"), v.attributes());
            assertEquals(Optional.empty(), v.abnormal());
            assertEquals(
                    v, agent.createVolume("pvc-a", MIB, Map.of("other", "ignored")), "existing: returned as it is");
            agent.updateAttributes("pvc-a", Map.of("maxIops", "100", "fsType", "xfs"));
            assertEquals(
                    AgentReason.NOT_FOUND,
                    assertThrows(AgentException.class, () -> agent.updateAttributes("nope", Map.of("a", "b")))
                            .reason());
            assertEquals(
                    AgentReason.INVALID_ARGUMENT,
                    assertThrows(AgentException.class, () -> agent.createVolume("../escape", MIB))
                            .reason(),
                    "never a path outside the attributes directory");
        }
        try (NodeAgent agent = NodeAgent.start(config(OptionalLong.of(64 * MIB)))) {
            assertEquals(
                    Map.of("name", "pvc-a", "fsType", "xfs", "odd", "a=b c\n", "maxIops", "100"),
                    agent.getVolume("pvc-a").orElseThrow().attributes());
            assertTrue(Files.exists(attrs));
            agent.deleteVolume("pvc-a");
            assertTrue(Files.notExists(attrs), "deleted with the volume");
            assertEquals(
                    Map.of(), agent.createVolume("pvc-a", MIB).attributes(), "a new volume of that ID starts empty");
            agent.deleteVolume("pvc-a");
        }
    }

    @Test
    void aDamagedJournalKeepsTheAgentFromStartingUntilTheLossIsAccepted() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config(OptionalLong.of(64 * MIB)))) {
            agent.createVolume("pvc-1", MIB);
        }
        try (Pool pool = Pool.open(dir.resolve("pool"))) {
            Vdisk v = pool.vdisks().get("pvc-1");
            v.write(0, ByteBuffer.allocateDirect(64 << 10));
            v.flush();
        }
        Path journal;
        try (var files = Files.list(dir.resolve("pool").resolve("journal"))) {
            journal = files.filter(f -> f.toString().endsWith(".log"))
                    .sorted()
                    .toList()
                    .getLast(); // not journal.lock
        }
        Files.delete(journal);
        JournalDamagedException e =
                assertThrows(JournalDamagedException.class, () -> NodeAgent.start(config(OptionalLong.empty())));
        assertTrue(e.getMessage().contains("--accept-journal-loss"), e.getMessage());
        try (NodeAgent agent = NodeAgent.start(
                config(OptionalLong.empty()).withOptions(AgentOptions.defaults().withAcceptJournalLoss(true)))) {
            assertEquals(MIB, agent.sizeOf("pvc-1"));
        }
        try (NodeAgent agent = NodeAgent.start(config(OptionalLong.empty()))) {
            assertTrue(agent.exists("pvc-1"), "accepted once: the next start needs no flag");
        }
    }
}
