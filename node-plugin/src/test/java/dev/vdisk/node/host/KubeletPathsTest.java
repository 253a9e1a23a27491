package dev.vdisk.node.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KubeletPathsTest {
    @TempDir
    Path dir;

    @Test
    void pathsInsideTheRootAreAcceptedAndNormalised() throws Exception {
        KubeletPaths paths = new KubeletPaths(dir.resolve("kubelet"));
        Path root = dir.resolve("kubelet").toRealPath();
        assertEquals(root.resolve("pods/p/vol"), paths.resolve("target_path", root + "/pods/x/../p/vol"));
        assertEquals(root.resolve("not/yet/there"), paths.resolve("target_path", root + "/not/yet/there"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative/path", "/etc", "ROOT", "ROOT/../outside", "ROOT/a/../../outside"})
    void pathsOutsideTheRootAreInvalidArguments(String value) {
        KubeletPaths paths = new KubeletPaths(dir.resolve("kubelet"));
        String v = value.replace("ROOT", paths.root().toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> paths.resolve("target_path", v));
        assertTrue(e.getMessage().startsWith("target_path " + v), e.getMessage());
    }

    @Test
    void aLinkInsideTheRootIsRefusedEvenIfItPointsInside() throws Exception {
        KubeletPaths paths = new KubeletPaths(dir.resolve("kubelet"));
        Files.createDirectories(paths.root().resolve("real"));
        Files.createSymbolicLink(paths.root().resolve("out"), dir);
        Files.createSymbolicLink(paths.root().resolve("in"), paths.root().resolve("real"));
        for (String link : new String[] {"out", "in"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> paths.resolve("staging_target_path", paths.root() + "/" + link + "/globalmount"));
            assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        }
    }

    @Test
    void aLinkedRootIsResolvedOnceAndAcceptedUnderBothNames() throws Exception {
        Path real = Files.createDirectories(dir.resolve("data/kubelet"));
        Path link = Files.createSymbolicLink(dir.resolve("kubelet"), real);
        KubeletPaths paths = new KubeletPaths(link);
        assertEquals(real.toRealPath().resolve("pods/a"), paths.resolve("target_path", link + "/pods/a"));
        assertEquals(real.toRealPath().resolve("pods/a"), paths.resolve("target_path", real.toRealPath() + "/pods/a"));
    }
}
