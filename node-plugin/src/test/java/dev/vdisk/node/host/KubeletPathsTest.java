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
        Path csi = root.resolve("pods/p/volumes/kubernetes.io~csi/vol/mount");
        assertEquals(csi, paths.resolve("target_path", root + "/pods/x/../p/volumes/kubernetes.io~csi/vol/mount"));
        Path blockStaging = root.resolve("plugins/kubernetes.io/csi/volumeDevices/staging/pv-1");
        assertEquals(blockStaging, paths.resolve("staging_target_path", blockStaging.toString()));
        assertEquals(root.resolve("not/yet/there"), paths.resolve("target_path", root + "/not/yet/there"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative/path", "/etc", "ROOT", "ROOT/../outside", "ROOT/a/../../outside"})
    void pathsOutsideTheRootAreInvalidArguments(String value) {
        KubeletPaths paths = new KubeletPaths(dir.resolve("kubelet"));
        String v = value.replace("ROOT", paths.root().toString());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> paths.resolve("target_path", v));
        assertTrue(e.getMessage().startsWith("target_path " + v), e.getMessage());
    }

    @Test
    void aLinkInsideTheRootIsRefusedEvenIfItPointsInside() throws Exception {
        KubeletPaths paths = new KubeletPaths(dir.resolve("kubelet"));
        Files.createDirectories(paths.root().resolve("real"));
        Files.createSymbolicLink(paths.root().resolve("out"), dir);
        Files.createSymbolicLink(paths.root().resolve("in"), paths.root().resolve("real"));
        for (String link : new String[] {"out", "in"}) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> paths.resolve("staging_target_path", paths.root() + "/" + link + "/globalmount"));
            assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        }
    }

    @Test
    void aLinkedRootIsResolvedOnceAndAcceptedUnderBothNames() throws Exception {
        Path real = Files.createDirectories(dir.resolve("data/kubelet"));
        Path link = Files.createSymbolicLink(dir.resolve("kubelet"), real);
        KubeletPaths paths = new KubeletPaths(link);
        assertEquals(real.toRealPath().resolve("other/a"), paths.resolve("target_path", link + "/other/a"));
        assertEquals(
                real.toRealPath().resolve("other/a"), paths.resolve("target_path", real.toRealPath() + "/other/a"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "pods",
                "plugins",
                "pods/uid",
                "pods/uid/volumes",
                "pods/uid/volumes/kubernetes.io~csi",
                "pods/uid/containers/app/0",
                "pods/uid/etc-hosts-dir/a/b",
                "plugins/vdisk.csi.dev",
                "plugins/kubernetes.io/csi",
                "plugins/kubernetes.io/csi/vdisk.csi.dev",
                "plugins_registry/x",
                "pod-resources/x"
            })
    void theKubeletsOwnDirectoriesAreNotVolumePaths(String relative) {
        KubeletPaths paths = new KubeletPaths(dir.resolve("kubelet"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> paths.resolve("target_path", paths.root() + "/" + relative));
        assertTrue(e.getMessage().contains("the kubelet's own"), e.getMessage());
    }

    @Test
    void aVolumePathIsOnlyNormalisedSoThatAnyOtherIsNotFoundLater() {
        KubeletPaths paths = new KubeletPaths(dir.resolve("kubelet"));
        assertEquals(Path.of("some/path"), paths.normalise("some/path"));
        assertEquals(Path.of("/elsewhere"), paths.normalise("/x/../elsewhere"));
        assertEquals(paths.root().resolve("a/b"), paths.normalise(paths.root() + "/a/./b"));
    }
}
