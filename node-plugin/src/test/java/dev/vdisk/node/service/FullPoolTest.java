package dev.vdisk.node.service;

import static dev.vdisk.node.testing.NodeCalls.block;
import static dev.vdisk.node.testing.NodeCalls.call;
import static dev.vdisk.node.testing.NodeCalls.ext4;
import static dev.vdisk.node.testing.NodeCalls.stage;
import static dev.vdisk.node.testing.NodeCalls.stats;
import static dev.vdisk.node.testing.NodeCalls.unstage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.NodeGetVolumeStatsResponse;
import dev.vdisk.node.agent.AgentConfig;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.metrics.NodeAgentMetrics;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.StatVfs;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.LogCapture;
import dev.vdisk.node.testing.Privileged;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thin volume's ext4 fills a small pool (64 MiB pool, 256 MiB volume) through the real FUSE mount and loop
 * device: the writers get ENOSPC, not EIO; each volume logs one line when its writes start failing and one when
 * they succeed again (no stack traces), the metric counts those changes, and NodeGetVolumeStats says so.
 */
@ExtendWith(Privileged.class)
class FullPoolTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private final LogCapture log = new LogCapture();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @AfterEach
    void nothingLeft() throws Exception {
        log.close();
        registry.close();
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    @Test
    void aFullPoolAnswersEnospcLogsEachConditionChangeOnceAndReportsItInVolumeStats() throws Exception {
        AgentConfig config = new AgentConfig(
                dir.resolve("pool"),
                OptionalLong.of(64 * MIB),
                dir.resolve("state"),
                dir.resolve("kubelet"),
                "n1",
                4,
                FuseConfig.defaults().withWorkers(4));
        try (NodeAgent agent = NodeAgent.start(config)) {
            NodeAgentMetrics.bind(registry, agent);
            NodeService node = new NodeService(agent);
            agent.createVolume("vol-fs", 256 * MIB, Map.of());
            agent.createVolume("vol-raw", 64 * MIB, Map.of());
            Path fsStaging = config.kubeletDir().resolve("fs");
            Path rawStaging = config.kubeletDir().resolve("raw");
            call(node::nodeStageVolume, stage("vol-fs", fsStaging, ext4()));
            call(node::nodeStageVolume, stage("vol-raw", rawStaging, block()));
            try {
                // ext4 on the thin volume writes until the pool has nothing left
                Command.Result dd = Command.tryRun(
                        300,
                        "dd",
                        "if=/dev/urandom",
                        "of=" + fsStaging.resolve("fill"),
                        "bs=1M",
                        "count=200",
                        "oflag=direct");
                assertTrue(dd.exitCode() != 0, "200 MiB fit into a 64 MiB pool?\n" + dd.output());
                assertTrue(dd.output().contains("No space left on device"), "ext4's writer got: " + dd.output());

                NodeGetVolumeStatsResponse untouched = call(node::nodeGetVolumeStats, stats("vol-raw", rawStaging));
                assertFalse(untouched.getVolumeCondition().getAbnormal(), "no write of vol-raw failed yet");
                assertTrue(
                        untouched.getVolumeCondition().getMessage().startsWith("volume is healthy; pool full: "),
                        untouched.toString());

                // a write(2) on the FUSE image itself: the kernel hands the dispatcher's errno to the writer
                Path image = config.fuseMountPoint().resolve("vol-raw");
                // ext4 stops at its first refused write, which can leave less free than it asked for (a whole
                // segment written anywhere asks for two): that remnant takes at most one 4 KiB write, then ENOSPC
                int remnant = 0;
                for (int i = 0; i < 20; i++) {
                    int errno = pwrite(image, i * MIB);
                    if (errno == 0 && remnant == i) {
                        remnant++;
                        continue;
                    }
                    assertEquals(Libc.ENOSPC, errno, "write " + i + " to a new segment");
                }
                assertTrue(remnant <= 1, remnant + " writes to new segments fit into a full pool");
                assertEquals(1, log.lines("vol-raw: writes failing: pool out of space"), log.text());
                assertEquals(1, log.lines("vol-fs: writes failing: pool out of space"), log.text());
                assertEquals(0, log.lines("\tat "), "no stack traces:\n" + log.text());
                assertEquals(2, changes("failing"));

                NodeGetVolumeStatsResponse stats = call(node::nodeGetVolumeStats, stats("vol-fs", fsStaging));
                assertTrue(stats.getVolumeCondition().getAbnormal(), stats.toString());
                String message = stats.getVolumeCondition().getMessage();
                assertTrue(message.startsWith("writes failing: pool out of space since "), message);
                assertTrue(
                        message.contains("; pool full: ") && message.contains(" of 67108864 bytes writable"), message);
                assertFalse(message.contains(dir.toString()), "no host path in " + message);

                // space comes back: the file's blocks are discarded into the pool
                Command.run("rm", fsStaging.resolve("fill").toString());
                Command.run("sync", "-f", fsStaging.toString()); // commits the free: fstrim skips uncommitted frees
                Command.run("fstrim", fsStaging.toString());
                Thread.sleep(2_100); // the condition's quiet time
                for (int i = 0; i < 5; i++) {
                    assertEquals(0, pwrite(image, i * MIB), "write " + i + " after fstrim");
                }
                // the condition ends at a success once the pool has room for what failed; freed segments become
                // writable at consistency points, so that can take a little longer than the writes above
                long end = System.nanoTime() + 10_000_000_000L;
                while (log.lines("vol-raw: writes succeed again") == 0 && System.nanoTime() < end) {
                    Thread.sleep(100);
                    assertEquals(0, pwrite(image, 0), "a write once space came back");
                }
                assertEquals(1, log.lines("vol-raw: writes succeed again"), log.text());
                assertTrue(changes("ok") >= 1, "vol-raw's recovery counted");
                NodeGetVolumeStatsResponse healthy = call(node::nodeGetVolumeStats, stats("vol-raw", rawStaging));
                assertFalse(healthy.getVolumeCondition().getAbnormal(), healthy.toString());
                // ext4 took the ENOSPC as such: its journal did not abort, it stays writable
                assertFalse(StatVfs.of(fsStaging).readOnly(), "ext4 remounted itself read-only");
                Command.run(
                        "dd", "if=/dev/urandom", "of=" + fsStaging.resolve("after"), "bs=1M", "count=4", "conv=fsync");
            } finally {
                call(node::nodeUnstageVolume, unstage("vol-fs", fsStaging));
                call(node::nodeUnstageVolume, unstage("vol-raw", rawStaging));
            }
        }
    }

    /** One 4 KiB O_DIRECT pwrite; 0 or the errno it failed with. */
    private static int pwrite(Path file, long offset) throws Exception {
        int fd = Libc.checkedOpen(file.toString(), Libc.O_RDWR | Libc.O_DIRECT);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096, 4096);
            buf.fill((byte) 7);
            return Libc.pwrite(fd, buf, 4096, offset) == 4096 ? 0 : Libc.errno();
        } finally {
            Libc.close(fd);
        }
    }

    private double changes(String to) {
        return registry.get("vdisk.volume.io.condition.changes")
                .tag("to", to)
                .functionCounter()
                .count();
    }
}
