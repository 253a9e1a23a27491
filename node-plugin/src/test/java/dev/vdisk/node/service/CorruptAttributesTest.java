package dev.vdisk.node.service;

import static dev.vdisk.node.testing.NodeCalls.block;
import static dev.vdisk.node.testing.NodeCalls.call;
import static dev.vdisk.node.testing.NodeCalls.stage;
import static dev.vdisk.node.testing.NodeCalls.stats;
import static dev.vdisk.node.testing.NodeCalls.unstage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.NodeGetVolumeStatsResponse;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.node.agent.AgentConfig;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.LogCapture;
import dev.vdisk.node.testing.Privileged;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged file in {@code <pool>/volume-attributes/} (here: not UTF-8, which used to stop the agent with
 * "Input length = 1") marks that volume only: the agent starts, stages the volume again, lists every volume, and
 * the volume's condition names the file; the log says so once.
 */
@ExtendWith(Privileged.class)
class CorruptAttributesTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private final LogCapture log = new LogCapture();

    @AfterEach
    void nothingLeft() throws Exception {
        log.close();
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    @Test
    void aCorruptAttributesFileMarksItsVolumeAbnormalAndTheAgentServesTheOthers() throws Exception {
        AgentConfig config = new AgentConfig(
                dir.resolve("pool"),
                OptionalLong.of(256 * MIB),
                dir.resolve("state"),
                dir.resolve("kubelet"),
                "n1",
                4,
                FuseConfig.defaults().withWorkers(2));
        Path staging = config.kubeletDir().resolve("a");
        try (NodeAgent agent = NodeAgent.start(config)) {
            agent.createVolume("vol-a", 16 * MIB, Map.of("csiName", "pvc-a"));
            agent.createVolume("vol-b", 16 * MIB, Map.of("csiName", "pvc-b"));
            call(new NodeService(agent)::nodeStageVolume, stage("vol-a", staging, block()));
        }
        Files.write(config.poolDir().resolve("volume-attributes/vol-a.attrs"), new byte[] {(byte) 0xff, 'x', '\n'});

        try (NodeAgent agent = NodeAgent.start(config)) {
            NodeService node = new NodeService(agent);
            List<AgentVolume> volumes = agent.listVolumes();
            agent.listVolumes();
            assertEquals(
                    List.of("vol-a", "vol-b"),
                    volumes.stream().map(AgentVolume::volumeId).toList());
            assertEquals(Map.of("csiName", "pvc-b"), volumes.get(1).attributes());
            assertTrue(agent.attached("vol-a").isPresent(), "staged again at start");

            NodeGetVolumeStatsResponse stats = call(node::nodeGetVolumeStats, stats("vol-a", staging));
            assertTrue(stats.getVolumeCondition().getAbnormal(), stats.toString());
            String message = stats.getVolumeCondition().getMessage();
            assertTrue(
                    message.startsWith("volume-attributes/vol-a.attrs in the pool directory is not UTF-8 text"),
                    message);
            assertFalse(message.contains(dir.toString()), "no host path in " + message);
            assertTrue(
                    volumes.get(0).abnormal().orElseThrow().contains("vol-a.attrs"),
                    volumes.get(0).toString());
            assertEquals(
                    1,
                    log.lines("vol-a: volume-attributes/vol-a.attrs in the pool directory is not UTF-8"),
                    log.text());
            call(node::nodeUnstageVolume, unstage("vol-a", staging));
        }
    }
}
