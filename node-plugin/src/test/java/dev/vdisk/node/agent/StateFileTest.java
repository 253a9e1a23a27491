package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFileTest {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsEveryFieldIncludingAwkwardPaths() throws IOException {
        StateFile file = new StateFile(dir.resolve("node-state"));
        assertEquals(List.of(), file.read(), "no file yet: nothing staged");
        StagedVolume mount = new StagedVolume(
                        "pvc-1",
                        Path.of("/k/staging with space/pvc-1"),
                        false,
                        "xfs",
                        List.of("noatime", "discard"),
                        "SINGLE_NODE_WRITER",
                        Map.of())
                .withTarget(Path.of("/k/pods/a+b/mount"), false)
                .withTarget(Path.of("/k/pods/c%20/mount"), true);
        StagedVolume block = new StagedVolume(
                "pvc-2", Path.of("/k/block"), true, "", List.of(), "SINGLE_NODE_MULTI_WRITER", Map.of());
        file.write(List.of(mount, block));
        assertEquals(List.of(mount, block), file.read());
        assertFalse(Files.exists(dir.resolve("node-state.tmp")), "the temporary file is renamed away");
        file.write(List.of(block));
        assertEquals(List.of(block), file.read());
    }

    @Test
    void anotherVersionOrAForeignFileIsRefusedNamingWhatItFound() throws IOException {
        StateFile file = new StateFile(dir.resolve("node-state"));
        Files.writeString(file.path(), "vdisk-node-state 2\n");
        IOException e = assertThrows(IOException.class, file::read);
        assertTrue(e.getMessage().contains("version 2, this agent reads 1"), e.getMessage());
        Files.writeString(file.path(), "hello\n");
        assertTrue(assertThrows(IOException.class, file::read).getMessage().contains("not a vdisk node state file"));
        Files.writeString(file.path(), "vdisk-node-state 1\nvolume only-two-fields\n");
        assertTrue(assertThrows(IOException.class, file::read).getMessage().contains("line 2"));
    }
}
