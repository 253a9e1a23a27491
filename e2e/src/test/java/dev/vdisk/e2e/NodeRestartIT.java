package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.VolumeCapability;
import dev.vdisk.node.testing.Privileged;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the node process with volumes staged and published: the restarted agent tears down the dead loops and
 * mounts, stages and publishes again what its state file lists (the data written before the kill is there), reports
 * a volume it cannot bring back as abnormal, and leaves nothing behind once everything is unstaged.
 */
@ExtendWith(Privileged.class)
class NodeRestartIT {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private NodeFixture f;

    @AfterEach
    void cleanUp() {
        if (f != null) {
            f.close();
        }
        assertTrue(KernelView.under(dir).isEmpty(), "leaked: " + KernelView.under(dir));
    }

    private NodeGetVolumeStatsResponse stats(String volumeId, Path path) {
        return f.node.nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId(volumeId)
                .setVolumePath(path.toString())
                .build());
    }

    @Test
    void killNineWithVolumesStagedThenRestart() throws Exception {
        f = new NodeFixture(dir);
        f.createPool(512 * MIB, "a", 128 * MIB, "b", 32 * MIB, "d", 64 * MIB);
        f.start();
        VolumeCapability ext4 = NodeFixture.mount("ext4");
        VolumeCapability block = NodeFixture.block();
        Path a1 = f.target("a", 1), b1 = f.target("b", 1), d1 = f.target("d", 1);
        f.stage("a", ext4);
        f.publish("a", a1, ext4, false);
        f.stage("b", block);
        f.publish("b", b1, block, false);
        f.stage("d", ext4);
        f.publish("d", d1, ext4, false);
        byte[] adata = NodeLifecycleIT.random(7, 4 * MIB), bdata = NodeLifecycleIT.random(8, MIB);
        NodeLifecycleIT.writeSynced(a1.resolve("before-kill.bin"), adata);
        NodeLifecycleIT.writeDevice(b1, 2 * MIB, bdata);
        List<String> loopsBefore = f.kernel().loops();
        assertEquals(3, loopsBefore.size(), loopsBefore.toString());

        f.kill();
        // what a crash leaves: the FUSE mount, the loops and the filesystems on them, all dead
        assertFalse(f.kernel().mounts().isEmpty(), "kill -9 cannot unmount anything");
        // while the agent is down, the operator deletes volume d from the pool: it cannot come back
        f.withPool(p -> {
            p.vdisks().delete("d");
            return null;
        });

        f.start();
        assertFalse(
                stats("a", a1).getVolumeCondition().getAbnormal(),
                stats("a", a1).toString());
        assertArrayEquals(adata, Files.readAllBytes(a1.resolve("before-kill.bin")), "data written before the kill");
        assertArrayEquals(bdata, NodeLifecycleIT.readDevice(b1, 2 * MIB, bdata.length));
        byte[] more = NodeLifecycleIT.random(9, MIB);
        NodeLifecycleIT.writeSynced(a1.resolve("after-restart.bin"), more);
        NodeGetVolumeStatsResponse d = stats("d", d1);
        assertTrue(d.getVolumeCondition().getAbnormal(), d.toString());
        assertTrue(d.getVolumeCondition().getMessage().contains("could not stage again"), d.toString());
        StatusRuntimeException e =
                assertThrows(StatusRuntimeException.class, () -> f.publish("d", f.target("d", 2), ext4, false));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertEquals(
                2,
                f.kernel().loops().size(),
                "old loops gone, a and b attached anew: " + f.kernel().loops());

        // the CO's cleanup of d succeeds; a and b unstage normally
        f.unpublish("d", d1);
        f.unstage("d");
        f.unpublish("a", a1);
        f.unpublish("b", b1);
        f.unstage("a");
        f.unstage("b");
        assertEquals(List.of(f.state.resolve("fuse").toString()), f.kernel().mounts());
        assertEquals(List.of(), f.kernel().loops());

        // a second crash with a staged volume, then a restart and an immediate unstage: nothing leaks
        f.stage("a", ext4);
        f.publish("a", a1, ext4, false);
        f.kill();
        f.start();
        assertArrayEquals(more, Files.readAllBytes(a1.resolve("after-restart.bin")));
        f.unpublish("a", a1);
        f.unstage("a");
        f.stop();
        assertTrue(f.kernel().isEmpty(), "nothing left after the last stop: " + f.kernel());
    }
}
