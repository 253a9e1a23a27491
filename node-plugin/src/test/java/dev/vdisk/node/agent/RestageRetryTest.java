package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.host.Mounter;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.LogCapture;
import dev.vdisk.node.testing.Privileged;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volume that cannot be staged again at start because the pool is full (here its format fails with ENOSPC) is
 * staged by the agent itself once space is freed, without the CO's unstage and stage; the failure is logged once
 * however often it is retried, the success once.
 */
@ExtendWith(Privileged.class)
class RestageRetryTest {
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
    void aVolumeThatAFullPoolKeptFromBeingStagedAtStartIsStagedOnceSpaceIsFreed() throws Exception {
        AgentConfig config = new AgentConfig(
                dir.resolve("pool"),
                OptionalLong.of(64 * MIB),
                dir.resolve("state"),
                dir.resolve("kubelet"),
                "n1",
                4,
                FuseConfig.defaults().withWorkers(4));
        StagedVolume fill = new StagedVolume(
                "vol-fill", config.kubeletDir().resolve("fill"), true, "", List.of(), "SINGLE_NODE_WRITER", Map.of());
        StagedVolume fs = new StagedVolume(
                "vol-fs", config.kubeletDir().resolve("fs"), false, "ext4", List.of(), "SINGLE_NODE_WRITER", Map.of());
        try (NodeAgent agent = NodeAgent.start(config)) {
            agent.createVolume("vol-fs", 64 * MIB, Map.of());
            agent.createVolume("vol-fill", 256 * MIB, Map.of());
            try (var held = agent.locks().lock("vol-fill")) {
                Path device = agent.staging().stage(fill);
                agent.staged().put(fill);
                Command.Result dd = Command.tryRun(
                        300, "dd", "if=/dev/urandom", "of=" + device, "bs=1M", "count=256", "oflag=direct");
                assertTrue(dd.output().contains("No space left on device"), dd.output());
            }
        }
        // the state file says vol-fs is staged (as after a crash right after its NodeStageVolume was recorded)
        StateFile state = new StateFile(config.stateFile());
        List<StagedVolume> recorded = new ArrayList<>(state.read());
        recorded.add(fs);
        state.write(recorded);

        try (NodeAgent agent = NodeAgent.start(config)) {
            try {
                assertTrue(agent.abnormal("vol-fs").isPresent(), "the format cannot write to a full pool");
                assertTrue(agent.attached("vol-fill").isPresent());
                Thread.sleep(4_000); // attempts at about 1 and 3 s fail the same way
                assertEquals(1, log.lines("volume vol-fs is abnormal: staging it again failed"), log.text());
                assertEquals(0, log.lines("volume vol-fs: staging it again still fails"), log.text());
                assertEquals(1, log.lines("vol-fs: writes failing: pool out of space"), "across attempts");

                Command.run(
                        "blkdiscard",
                        agent.attached("vol-fill").orElseThrow().device().toString());
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (agent.abnormal("vol-fs").isPresent() && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                assertTrue(agent.abnormal("vol-fs").isEmpty(), "still abnormal: " + agent.abnormal("vol-fs"));
                assertTrue(Mounter.isMountPoint(fs.stagingPath()), "mounted at its staging path again");
                Files.writeString(fs.stagingPath().resolve("f"), "after"); // and writable
                assertEquals(1, log.lines("volume vol-fs: staged again at attempt"), log.text());
            } finally {
                for (StagedVolume v : List.of(fs, fill)) {
                    try (var held = agent.locks().lock(v.volumeId())) {
                        agent.staging().unstage(v, false);
                        agent.staged().remove(v.volumeId());
                    }
                }
            }
        }
    }
}
