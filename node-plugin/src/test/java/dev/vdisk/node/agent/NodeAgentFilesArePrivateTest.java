package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node agent's state directory and pool hold only 0600 files and 0700 directories (the FUSE mount's root and
 * images included), whatever the umask, and a state directory and pool made looser are tightened at the next start.
 */
@ExtendWith(Privileged.class)
class NodeAgentFilesArePrivateTest {
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
                OptionalLong.of(64L << 20),
                dir.resolve("state"),
                dir.resolve("kubelet"),
                "n1",
                4,
                FuseConfig.defaults().withWorkers(2));
    }

    /** Relative path -> mode of everything under the state and pool directories, and what it should be. */
    private Map<String, List<String>> modes() throws IOException {
        Map<String, List<String>> modes = new TreeMap<>();
        for (String top : List.of("state", "pool")) {
            try (Stream<Path> paths = Files.walk(dir.resolve(top))) {
                for (Path p : paths.toList()) {
                    String actual =
                            PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                    modes.put(
                            dir.relativize(p).toString(),
                            List.of(actual, Files.isDirectory(p) ? "rwx------" : "rw-------"));
                }
            }
        }
        return modes;
    }

    private static void assertAllPrivate(Map<String, List<String>> modes) {
        modes.forEach(
                (path, actualAndExpected) -> assertEquals(actualAndExpected.get(1), actualAndExpected.get(0), path));
    }

    /** Starts an agent with a staged volume (state file, FUSE image), a clone's attributes, and runs {@code check}. */
    private void withStagedVolume(ThrowingCheck check) throws Exception {
        try (NodeAgent agent = NodeAgent.start(config())) {
            agent.createVolume("pvc-1", 4L << 20);
            agent.createSnapshot("snap-1", "pvc-1");
            agent.cloneVolume("pvc-2", "snap-1", 4L << 20, Map.of("name", "two"));
            StagedVolume staged = new StagedVolume(
                    "pvc-1",
                    agent.config().kubeletDir().resolve("s"),
                    true,
                    "",
                    List.of(),
                    "SINGLE_NODE_WRITER",
                    Map.of());
            try (var held = agent.locks().lock("pvc-1")) {
                agent.staging().stage(staged);
                agent.staged().put(staged);
            }
            try {
                check.run();
            } finally {
                try (var held = agent.locks().lock("pvc-1")) {
                    agent.staging().unstage(staged, false);
                    agent.staged().remove("pvc-1");
                }
            }
        }
    }

    private interface ThrowingCheck {
        void run() throws Exception;
    }

    @Test
    void everyFileOfTheStateDirectoryAndPoolIs0600AndEveryDirectory0700() throws Exception {
        withStagedVolume(() -> {
            Map<String, List<String>> modes = modes();
            assertTrue(
                    modes.keySet()
                            .containsAll(List.of(
                                    "state",
                                    "state/agent.lock",
                                    "state/node-state",
                                    "state/fuse",
                                    "state/fuse/pvc-1",
                                    "pool/pool.data",
                                    "pool/volume-attributes/pvc-2.attrs")),
                    "the files to check are there: " + modes.keySet());
            assertAllPrivate(modes);
        });
    }

    @Test
    void aLooserStateDirectoryAndPoolAreTightenedAtTheNextStart() throws Exception {
        withStagedVolume(() -> {});
        try (Stream<Path> paths = Stream.concat(Files.walk(dir.resolve("state")), Files.walk(dir.resolve("pool")))) {
            for (Path p : paths.toList()) {
                Files.setPosixFilePermissions(
                        p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        try (NodeAgent agent = NodeAgent.start(config())) {
            assertAllPrivate(modes());
        }
    }
}
