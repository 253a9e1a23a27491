package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.api.agent.AgentLineage;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** VolumeAgent.lineage on a real pool: backing snapshot, depth, dependents, and a deleted backing snapshot. */
@ExtendWith(Privileged.class)
class NodeAgentLineageTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft() throws Exception {
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    @Test
    void aCloneReadsThroughItsSnapshotWhichListsItAsDependent() throws Exception {
        try (NodeAgent agent = NodeAgent.start(new AgentConfig(
                dir.resolve("pool"),
                OptionalLong.of(128 * MIB),
                dir.resolve("state"),
                dir.resolve("kubelet"),
                "n1",
                4,
                FuseConfig.defaults().withWorkers(2)))) {
            agent.createVolume("pvc-src", 8 * MIB);
            agent.createSnapshot("snap-1", "pvc-src");
            agent.cloneVolume("pvc-c", "snap-1", 8 * MIB, Map.of());

            AgentLineage src = agent.lineage("pvc-src").orElseThrow();
            assertEquals("", src.backingSnapshotId());
            assertEquals(0, src.chainDepth());
            AgentLineage clone = agent.lineage("pvc-c").orElseThrow();
            assertEquals("snap-1", clone.backingSnapshotId());
            assertEquals(1, clone.chainDepth());
            assertFalse(clone.backingDeleted());
            AgentLineage snap = agent.lineage("snap-1").orElseThrow();
            assertTrue(snap.snapshot());
            assertEquals(List.of("pvc-c"), snap.dependents());

            agent.deleteSnapshot("snap-1");
            assertTrue(agent.lineage("snap-1").isEmpty(), "a deleted snapshot has no lineage of its own");
            assertTrue(agent.lineage("pvc-c").orElseThrow().backingDeleted(), "the clone still reads through it");
            assertTrue(agent.lineage("nope").isEmpty());
        }
    }
}
