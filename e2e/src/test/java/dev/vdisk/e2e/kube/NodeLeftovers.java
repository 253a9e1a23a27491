package dev.vdisk.e2e.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the kubelet leaves outside the test's directory after its pods are gone: its kubepods cgroups (cgroupfs,
 * v1: one tree per controller) and the container logs in /var/log/pods and /var/log/containers (fixed paths in
 * 1.24). Made before the kubelet starts, so that it removes those two directories only if they were not there.
 */
final class NodeLeftovers {

    private static final List<Path> LOG_DIRS = List.of(Path.of("/var/log/pods"), Path.of("/var/log/containers"));

    private final List<String> namespaces;
    private final List<Path> logDirsMade = new ArrayList<>();

    private NodeLeftovers(List<String> namespaces) {
        this.namespaces = namespaces;
    }

    /** Notes which log directories exist now; the logs of pods in {@code namespaces} are the node's. */
    static NodeLeftovers before(List<String> namespaces) {
        NodeLeftovers leftovers = new NodeLeftovers(List.copyOf(namespaces));
        LOG_DIRS.stream().filter(d -> !Files.exists(d)).forEach(leftovers.logDirsMade::add);
        return leftovers;
    }

    /** Removes the cgroups and the logs; reports what it cannot remove in one line each, never throws. */
    void remove() {
        removeCgroups();
        removePodLogs();
    }

    /** Deepest first: a cgroup directory goes with rmdir once it is empty. */
    private static void removeCgroups() {
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path controller : controllers.toList()) {
                Path kubepods = controller.resolve("kubepods");
                if (!Files.isDirectory(kubepods)) {
                    continue;
                }
                try (Stream<Path> walk = Files.walk(kubepods)) {
                    for (Path cgroup : walk.filter(Files::isDirectory)
                            .sorted(Comparator.comparingInt(p -> -p.getNameCount()))
                            .toList()) {
                        try {
                            Files.delete(cgroup);
                        } catch (IOException e) {
                            System.err.println("cleanup: cgroup " + cgroup + " not removed: " + e);
                        }
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("cleanup: cgroups: " + e);
        }
    }

    /** Pod log dirs are {@code <namespace>_<pod>_<uid>}, container log links {@code <pod>_<namespace>_<container>-<id>}. */
    private boolean ours(String name) {
        return namespaces.stream().anyMatch(ns -> name.startsWith(ns + "_") || name.contains("_" + ns + "_"));
    }

    private void removePodLogs() {
        for (Path logs : LOG_DIRS) {
            try (Stream<Path> entries = Files.list(logs)) {
                for (Path entry :
                        entries.filter(e -> ours(e.getFileName().toString())).toList()) {
                    HostCommand.quietly("rm", "-rf", entry.toString());
                }
            } catch (IOException e) {
                // no logs written
            }
        }
        for (Path made : logDirsMade) {
            try {
                Files.deleteIfExists(made);
            } catch (IOException e) {
                System.err.println("cleanup: " + made + " not removed (not empty?): " + e);
            }
        }
    }
}
