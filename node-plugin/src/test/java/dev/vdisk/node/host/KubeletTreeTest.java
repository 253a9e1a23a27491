package dev.vdisk.node.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.PathFd;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Opening, creating and removing inside the kubelet directory never goes through a link. */
class KubeletTreeTest {
    @TempDir
    Path dir;

    @Test
    void aLinkAnywhereOnThePathIsRefusedAndNothingIsCreatedBehindIt() throws Exception {
        KubeletTree tree = new KubeletTree(dir.resolve("kubelet"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path link = Files.createSymbolicLink(dir.resolve("kubelet/pods"), outside);
        Path target = link.resolve("uid/volumes/kubernetes.io~csi/v/mount");
        for (var call : new Executable[] {
            () -> tree.directory("target_path", target).close(),
            () -> tree.file("target_path", target).fd().close(),
            () -> tree.existing("target_path", link.resolve("x")).close(),
            () -> tree.unmount("target_path", target, false),
            () -> tree.delete("target_path", link.resolve("x"))
        }) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
            assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        }
        assertEquals(0, Files.list(outside).count(), "nothing created through the link");
    }

    @Test
    void directoriesAreCreatedOneNameAtATimeAndAFileInTheWayIsNamed() throws Exception {
        KubeletTree tree = new KubeletTree(dir.resolve("kubelet"));
        Path target = dir.resolve("kubelet/pods/uid/volumes/kubernetes.io~csi/v/mount");
        try (PathFd fd = tree.directory("target_path", target)) {
            assertTrue(Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS));
            assertEquals(target.toRealPath(), Path.of(fd.procPath()).toRealPath(), "the descriptor is the path");
        }
        Path file = Files.createFile(target.resolveSibling("file"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> tree.directory("staging_target_path", file));
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
        assertTrue(tree.delete("target_path", target));
        assertTrue(tree.delete("target_path", file));
        assertEquals(Libc.EINVAL, tree.unmount("target_path", target, false), "nothing mounted at a missing path");
    }

    @Test
    void aBlockTargetNeedsItsParentAndMustBeAFile() throws Exception {
        KubeletTree tree = new KubeletTree(dir.resolve("kubelet"));
        Path target = dir.resolve("kubelet/plugins/kubernetes.io/csi/volumeDevices/publish/pv/pod");
        AgentException e = assertThrows(AgentException.class, () -> tree.file("target_path", target));
        assertEquals(AgentReason.FAILED_PRECONDITION, e.reason());
        assertTrue(e.getMessage().contains("parent directory"), e.getMessage());
        Files.createDirectories(target.getParent());
        KubeletTree.OpenedFile first = tree.file("target_path", target);
        first.fd().close();
        KubeletTree.OpenedFile again = tree.file("target_path", target);
        again.fd().close();
        assertTrue(first.created() && !again.created());
        Files.delete(target);
        Files.createDirectory(target);
        IllegalArgumentException notFile =
                assertThrows(IllegalArgumentException.class, () -> tree.file("target_path", target));
        assertTrue(notFile.getMessage().contains("not a regular file"), notFile.getMessage());
    }
}
