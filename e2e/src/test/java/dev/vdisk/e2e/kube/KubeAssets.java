package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.opentest4j.TestAbortedException;

/**
 * Where the Kubernetes binaries are: {@code $VDISK_KUBE_ASSETS} (a directory like envtest's assets; {@code .ci/run}
 * sets it on the CI machines) for the API server, controller manager and CSI sidecars, and etcd on the PATH or in
 * /usr/bin. Without the variable the suite skips with one line saying how to get them, except under CI=true, where
 * anything missing fails the run.
 */
record KubeAssets(Path dir, Path etcd) {

    static final String VARIABLE = "VDISK_KUBE_ASSETS";
    private static boolean skipAnnounced;
    private static final List<String> BINARIES = List.of(
            "kube-apiserver",
            "kube-controller-manager",
            "csi-provisioner",
            "csi-snapshotter",
            "snapshot-controller",
            "csi-resizer");

    Path binary(String name) {
        return dir.resolve(name);
    }

    Path snapshotCrds() {
        return dir.resolve("crds");
    }

    static KubeAssets find() {
        boolean ci = "true".equals(System.getenv("CI"));
        String value = System.getenv(VARIABLE);
        if (value == null || value.isBlank()) {
            String how = VARIABLE + " is not set: point it at a directory holding " + String.join(", ", BINARIES)
                    + " and crds/ (and apt-get install etcd-server) to run the real API server suite";
            if (ci) {
                fail(how);
            }
            if (!skipAnnounced) {
                // surefire shows an aborted class as zero tests run without the reason: say it once here
                skipAnnounced = true;
                System.out.println("skipped: " + how);
            }
            throw new TestAbortedException(how);
        }
        Path dir = Path.of(value).toAbsolutePath().normalize();
        List<String> missing = new ArrayList<>();
        for (String name : BINARIES) {
            if (!Files.isExecutable(dir.resolve(name))) {
                missing.add(dir.resolve(name).toString());
            }
        }
        if (!Files.isDirectory(dir.resolve("crds"))) {
            missing.add(dir.resolve("crds") + "/");
        }
        Path etcd = findEtcd();
        if (etcd == null) {
            missing.add("etcd (apt-get install etcd-server)");
        }
        if (!missing.isEmpty()) {
            // the variable says the suite should run: a missing binary is an error in every environment
            fail(VARIABLE + "=" + value + " but these are missing: " + missing);
        }
        return new KubeAssets(dir, etcd);
    }

    private static Path findEtcd() {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, "etcd"))) {
                return Path.of(entry, "etcd");
            }
        }
        Path usr = Path.of("/usr/bin/etcd");
        return Files.isExecutable(usr) ? usr : null;
    }
}
