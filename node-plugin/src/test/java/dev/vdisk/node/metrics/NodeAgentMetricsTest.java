package dev.vdisk.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.node.agent.AgentConfig;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.agent.StagedVolume;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The agent's gauges on a real pool and data path: they read the agent when read, so they follow it. */
@ExtendWith(Privileged.class)
class NodeAgentMetricsTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @AfterEach
    void nothingLeft() throws Exception {
        registry.close();
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    @Test
    void gaugesFollowThePoolVolumesStagingAndSplits() throws Exception {
        AgentConfig config = new AgentConfig(
                dir.resolve("pool"),
                OptionalLong.of(256 * MIB),
                dir.resolve("state"),
                dir.resolve("kubelet"),
                "n1",
                4,
                FuseConfig.defaults().withWorkers(2));
        try (NodeAgent agent = NodeAgent.start(config)) {
            NodeAgentMetrics.bind(registry, agent);
            System.gc(); // a gauge whose state only the registry holds weakly would now read NaN
            assertEquals(256 * MIB, gauge("vdisk.pool.total"));
            assertEquals(agent.capacity().availableBytes(), gauge("vdisk.pool.available"));
            assertEquals(0, gauge("vdisk.volumes"));
            assertEquals(0, gauge("vdisk.volumes.staged"));
            assertEquals(0, gauge("vdisk.loop.devices"));
            for (String phase : NodeAgentMetrics.PHASES) {
                assertEquals(
                        0,
                        registry.get("vdisk.splits").tag("phase", phase).gauge().value(),
                        phase);
            }
            assertEquals(0, gauge("vdisk.split.relocated"));

            agent.createVolume("pvc-1", 16 * MIB, Map.of());
            agent.createVolume("pvc-2", 16 * MIB, Map.of());
            assertEquals(2, gauge("vdisk.volumes"), "read at scrape time, not when bound");
            StagedVolume staged = new StagedVolume(
                    "pvc-1", config.kubeletDir().resolve("s"), true, "", List.of(), "SINGLE_NODE_WRITER", Map.of());
            try (var held = agent.locks().lock("pvc-1")) {
                agent.staging().stage(staged);
                agent.staged().put(staged);
            }
            try {
                assertEquals(1, gauge("vdisk.volumes.staged"));
                assertEquals(1, gauge("vdisk.loop.devices"), "the staged block volume's loop device");
                Command.run(
                        "dd",
                        "if=/dev/urandom",
                        "of=" + agent.attached("pvc-1").orElseThrow().device(),
                        "bs=1M",
                        "count=2",
                        "oflag=direct",
                        "status=none");
                Thread.sleep(600); // past the sample age: the pool is read again
                assertTrue(gauge("vdisk.pool.used") >= 0);
                assertEquals(agent.capacity().usedBytes(), gauge("vdisk.pool.used"));
            } finally {
                try (var held = agent.locks().lock("pvc-1")) {
                    agent.staging().unstage(staged, false);
                    agent.staged().remove("pvc-1");
                }
            }
            assertEquals(0, gauge("vdisk.loop.devices"));
            assertEquals(0, gauge("vdisk.volumes.staged"));

            agent.createSnapshot("snap-1", "pvc-1");
            agent.cloneVolume("pvc-c", "snap-1", 16 * MIB, Map.of());
            agent.startSplit("pvc-c", "copy", 0);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!agent.splitStatus("pvc-c").orElseThrow().phase().equals(SplitStatus.DONE)) {
                assertTrue(System.nanoTime() < deadline, "split did not finish in 60 s");
                Thread.sleep(50);
            }
            Thread.sleep(600);
            assertEquals(
                    1,
                    registry.get("vdisk.splits")
                            .tag("phase", SplitStatus.DONE)
                            .gauge()
                            .value());
            assertEquals(
                    0,
                    registry.get("vdisk.splits").tag("phase", "QUEUED").gauge().value());
            assertEquals(agent.splitStatus("pvc-c").orElseThrow().bytesRelocated(), gauge("vdisk.split.relocated"));
            assertTrue(gauge("vdisk.split.relocated") >= 2 * MIB, "copy relocated the 2 MiB written");
        }
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }
}
