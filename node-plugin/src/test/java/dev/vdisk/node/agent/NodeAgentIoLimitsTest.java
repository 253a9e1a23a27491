package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * maxIops and maxBytesPerSecond measured with dd (O_DIRECT) on a staged volume's loop device: the rate stays within
 * bounds of the limit, and raising or removing the limit through updateAttributes (ControllerModifyVolume) takes
 * effect on the running data path.
 */
@ExtendWith(Privileged.class)
class NodeAgentIoLimitsTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft() throws Exception {
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    private AgentConfig config() {
        return new AgentConfig(
                dir.resolve("pool"),
                OptionalLong.of(512 * MIB),
                dir.resolve("state"),
                dir.resolve("kubelet"),
                "n1",
                4,
                FuseConfig.defaults().withWorkers(4));
    }

    @Test
    void bandwidthLimitHoldsAndChangesOnline() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config())) {
            agent.createVolume("pvc-io", 128 * MIB, Map.of(VolumeThrottles.MAX_BYTES_PER_SECOND, "" + 8 * MIB));
            withBlockDevice(agent, "pvc-io", device -> {
                double limited = ddWrite(device, 24); // 3 s at 8 MiB/s
                assertTrue(limited > 6.0 && limited <= 8.0 * 1.1, "8 MiB/s limit: measured " + limited + " MiB/s");

                agent.updateAttributes("pvc-io", Map.of(VolumeThrottles.MAX_BYTES_PER_SECOND, "" + 24 * MIB));
                double raised = ddWrite(device, 48); // 2 s at 24 MiB/s
                assertTrue(raised > 18.0 && raised <= 24.0 * 1.1, "raised to 24 MiB/s: measured " + raised + " MiB/s");

                agent.updateAttributes("pvc-io", Map.of(VolumeThrottles.MAX_BYTES_PER_SECOND, "0"));
                double removed = ddWrite(device, 96);
                assertTrue(removed > 36.0, "limit removed: measured " + removed + " MiB/s, not above 1.5 x 24");
                System.out.printf(
                        "measured MiB/s: limit 8 -> %.1f, limit 24 -> %.1f, no limit -> %.1f%n",
                        limited, raised, removed);
            });
        }
    }

    @Test
    void iopsLimitHolds() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config())) {
            agent.createVolume("pvc-iops", 64 * MIB, Map.of(VolumeThrottles.MAX_IOPS, "250"));
            withBlockDevice(agent, "pvc-iops", device -> {
                long start = System.nanoTime();
                Command.run("dd", "if=" + device, "of=/dev/null", "bs=4096", "count=750", "iflag=direct");
                double iops = 750 / ((System.nanoTime() - start) / 1e9); // 3 s at 250 IOPS
                assertTrue(iops > 190 && iops <= 250 * 1.1, "250 IOPS limit: measured " + iops);
                System.out.printf("measured IOPS: limit 250 -> %.1f%n", iops);
            });
        }
    }

    @Test
    void liftingTheLimitReleasesARunningTransfer() throws Exception {
        try (NodeAgent agent = NodeAgent.start(config())) {
            agent.createVolume("pvc-lift", 128 * MIB, Map.of(VolumeThrottles.MAX_BYTES_PER_SECOND, "" + 2 * MIB));
            withBlockDevice(agent, "pvc-lift", device -> {
                long start = System.nanoTime();
                // 64 MiB at 2 MiB/s would take 32 s
                Process dd = new ProcessBuilder(
                                "dd", "if=/dev/zero", "of=" + device, "bs=1M", "count=64", "oflag=direct")
                        .redirectErrorStream(true)
                        .start();
                try {
                    Thread.sleep(1000);
                    assertTrue(dd.isAlive(), "dd is still held back by the limit after 1 s");
                    agent.updateAttributes("pvc-lift", Map.of(VolumeThrottles.MAX_BYTES_PER_SECOND, "0"));
                    assertTrue(dd.waitFor(20, TimeUnit.SECONDS), "dd did not finish 20 s after the limit was lifted");
                    double seconds = (System.nanoTime() - start) / 1e9;
                    assertTrue(seconds < 15, "64 MiB took " + seconds + " s after the limit was lifted at 1 s");
                } finally {
                    dd.destroyForcibly().waitFor();
                }
            });
        }
    }

    /** Writes {@code mib} MiB of zeros with O_DIRECT in 1 MiB requests; returns MiB/s. */
    private static double ddWrite(Path device, int mib) {
        long start = System.nanoTime();
        Command.run("dd", "if=/dev/zero", "of=" + device, "bs=1M", "count=" + mib, "oflag=direct");
        return mib / ((System.nanoTime() - start) / 1e9);
    }

    /** Stages the volume as a block device, runs {@code io} on its loop device, unstages it even on failure. */
    private static void withBlockDevice(NodeAgent agent, String volumeId, DeviceIo io) throws Exception {
        StagedVolume staged = new StagedVolume(
                volumeId,
                agent.config().kubeletDir().resolve("s-" + volumeId),
                true,
                "",
                List.of(),
                "SINGLE_NODE_WRITER",
                Map.of());
        Path device;
        try (var held = agent.locks().lock(volumeId)) {
            device = agent.staging().stage(staged);
            agent.staged().put(staged);
        }
        try {
            io.run(device);
        } finally {
            try (var held = agent.locks().lock(volumeId)) {
                agent.staging().unstage(staged, false);
                agent.staged().remove(volumeId);
            }
        }
    }

    @FunctionalInterface
    private interface DeviceIo {
        void run(Path device) throws Exception;
    }
}
