package dev.vdisk.node.service;

import static dev.vdisk.node.service.NodeServiceHarness.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests the Node service must refuse with a code and one line saying what is wrong, not INTERNAL with a host
 * tool's output; and the StorageClass fsType that reaches NodeStageVolume only through the volume_context.
 */
@ExtendWith(Privileged.class)
class NodeServiceBadInputTest {
    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft() throws Exception {
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    @Test
    void aStageOrPublishPathThatIsAFileOrABlockTargetWithoutItsParentIsNamedNotInternal() throws Exception {
        try (NodeServiceHarness h = new NodeServiceHarness(dir, 256 * MIB)) {
            h.agent.createVolume("m", 64 * MIB, Map.of());
            h.agent.createVolume("b", 64 * MIB, Map.of());
            Path staging = h.staging("m");
            Files.createDirectories(staging.getParent());
            Files.createFile(staging);
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> h.stage(h.stageRequest("m", NodeServiceHarness.mount("ext4"))));
            assertTrue(e.getMessage().contains("exists and is not a directory"), e.getMessage());
            assertTrue(h.agent.attached("m").isEmpty(), "a refused stage leaves nothing attached");
            Files.delete(staging);

            h.stage(h.stageRequest("m", NodeServiceHarness.mount("ext4")));
            Path target = h.kubelet.resolve("pods/p/volumes/kubernetes.io~csi/m/mount");
            Files.createDirectories(target.getParent());
            Files.createFile(target);
            e = assertThrows(
                    IllegalArgumentException.class,
                    () -> h.publish(h.publishRequest("m", target, NodeServiceHarness.mount("ext4"))));
            assertTrue(
                    e.getMessage().contains("target_path") && e.getMessage().contains("not a directory"),
                    e.getMessage());
            h.unstage("m");

            h.stage(h.stageRequest("b", NodeServiceHarness.block()));
            Path orphan = h.kubelet.resolve("plugins/kubernetes.io/csi/volumeDevices/publish/b/pod");
            AgentException missing = assertThrows(
                    AgentException.class, () -> h.publish(h.publishRequest("b", orphan, NodeServiceHarness.block())));
            assertEquals(AgentReason.FAILED_PRECONDITION, missing.reason());
            assertTrue(missing.getMessage().contains("parent directory"), missing.getMessage());
            assertFalse(missing.getMessage().contains("\n"));
            h.unstage("b");
        }
    }

    @Test
    void statsAndExpandAnswerNotFoundForAPathTheVolumeIsNotAtEvenARelativeOne() throws Exception {
        try (NodeServiceHarness h = new NodeServiceHarness(dir, 256 * MIB)) {
            h.agent.createVolume("b", 64 * MIB, Map.of());
            h.stage(h.stageRequest("b", NodeServiceHarness.block()));
            for (String path : new String[] {"some/path", "/path/does/not/exist", h.kubelet + "/elsewhere"}) {
                AgentException stats = assertThrows(AgentException.class, () -> h.stats("b", path));
                assertEquals(AgentReason.NOT_FOUND, stats.reason(), path);
                AgentException expand = assertThrows(AgentException.class, () -> h.expand("b", path));
                assertEquals(AgentReason.NOT_FOUND, expand.reason(), path);
            }
            assertEquals(64 * MIB, h.expand("b", h.staging("b").toString()).getCapacityBytes(), "its own path works");
            h.unstage("b");
        }
    }

    @Test
    void theStorageClassFsTypeInTheVolumeContextIsUsedWhenTheCapabilityNamesNone() throws Exception {
        try (NodeServiceHarness h = new NodeServiceHarness(dir, 1024 * MIB)) {
            h.agent.createVolume("x", 320 * MIB, Map.of());
            var noFsType = NodeServiceHarness.mount("");
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> h.stage(h.stageRequest("x", noFsType).toBuilder()
                            .putVolumeContext("fsType", "btrfs")
                            .build()));
            assertTrue(e.getMessage().contains("fsType btrfs is not supported"), e.getMessage());
            h.stage(h.stageRequest("x", noFsType).toBuilder()
                    .putVolumeContext("fsType", "xfs")
                    .build());
            assertEquals(
                    "xfs",
                    Command.run("findmnt", "-n", "-o", "FSTYPE", h.staging("x").toString())
                            .strip());
            h.unstage("x");
        }
    }

    @Test
    void aFailedMkfsIsOneLineWithItsErrorAndNoUsageText() throws Exception {
        try (NodeServiceHarness h = new NodeServiceHarness(dir, 256 * MIB)) {
            h.agent.createVolume("small", 64 * MIB, Map.of());
            UncheckedIOException e = assertThrows(
                    UncheckedIOException.class,
                    () -> h.stage(h.stageRequest("small", NodeServiceHarness.mount("xfs"))));
            assertTrue(e.getMessage().startsWith("mkfs.xfs failed: "), e.getMessage());
            assertTrue(e.getMessage().contains("larger than 300MB"), e.getMessage());
            assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("Usage"), e.getMessage());
            assertTrue(h.agent.attached("small").isEmpty(), "a failed stage leaves nothing attached");
        }
    }
}
