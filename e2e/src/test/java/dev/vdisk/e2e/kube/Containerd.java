package dev.vdisk.e2e.kube;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Debian's containerd as the real node's runtime, with its own root, state, socket and CNI directory (never the
 * packaged service's): runc with cgroupfs (no systemd here), {@code restrict_oom_score_adj} (no CAP_SYS_RESOURCE)
 * and a pause image the test imports. Closing removes every pod sandbox through the CRI (crictl), stops containerd
 * and kills any shim of this socket that outlived it.
 */
final class Containerd implements AutoCloseable {

    static final String PAUSE_IMAGE = "registry.k8s.io/pause:3.7";

    private final Path dir;
    private final Path socket;
    private final Path crictl;
    private ChildProcess process;

    private Containerd(Path dir, Path crictl) {
        this.dir = dir;
        this.socket = dir.resolve("containerd.sock");
        this.crictl = crictl;
    }

    static Containerd start(Path dir, Path cniConfDir, Path crictl) throws Exception {
        Files.createDirectories(dir);
        Containerd containerd = new Containerd(dir, crictl);
        Path config = dir.resolve("config.toml");
        Files.writeString(config, """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                [grpc]
                  address = "%2$s"
                [plugins."io.containerd.internal.v1.opt"]
                  path = "%1$s/opt"
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%3$s"
                  restrict_oom_score_adj = true
                  [plugins."io.containerd.grpc.v1.cri".containerd]
                    snapshotter = "overlayfs"
                    default_runtime_name = "runc"
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                      runtime_type = "io.containerd.runc.v2"
                      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                        SystemdCgroup = false
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "/usr/lib/cni"
                    conf_dir = "%4$s"
                """.formatted(dir, containerd.socket, PAUSE_IMAGE, cniConfDir));
        try {
            containerd.process = ChildProcess.start(
                    "containerd", dir, List.of("containerd", "--config", config.toString()), Map.of());
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(containerd.socket)) {
                if (!containerd.process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("containerd did not start: " + containerd.process.tail());
                }
                Thread.sleep(100);
            }
            return containerd;
        } catch (Exception | Error e) {
            containerd.close();
            throw e;
        }
    }

    String endpoint() {
        return "unix://" + socket;
    }

    /** Loads a docker-archive or OCI archive into the CRI's namespace, where the kubelet finds its images. */
    void importImage(Path archive) {
        HostCommand.run("ctr", "--address", socket.toString(), "-n", "k8s.io", "images", "import", archive.toString());
    }

    /** A second name for an image already in the CRI's namespace. */
    void tagImage(String image, String newName) {
        HostCommand.run(
                "ctr", "--address", socket.toString(), "-n", "k8s.io", "images", "tag", "--force", image, newName);
    }

    /** crictl against this containerd, e.g. {@code ps -a}. */
    String crictl(String... args) {
        List<String> command = new ArrayList<>(List.of(
                crictl.toString(),
                "--runtime-endpoint",
                endpoint(),
                "--image-endpoint",
                endpoint(),
                "--timeout",
                "60s"));
        command.addAll(List.of(args));
        return HostCommand.run(command);
    }

    @Override
    public void close() {
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            try {
                // stops and removes every sandbox and its containers: their mounts and shims go with them
                crictl("rmp", "-a", "-f");
            } catch (RuntimeException e) {
                System.err.println("cleanup: " + e.getMessage());
            }
        }
        process.close();
        process = null;
        // a shim outlives containerd by design (it is reparented): stop those of this socket only
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(socket.toString()))
                .forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public String toString() {
        return "containerd " + socket;
    }
}
