package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.fail;

import dev.vdisk.e2e.KernelView;
import dev.vdisk.e2e.chart.Helm;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.opentest4j.TestAbortedException;

/**
 * A one-node cluster with a real kubelet: the {@link ControlPlane} plus the scheduler, containerd, a
 * {@link PodNetwork}, the kubelet, the images of {@link NodeImages}, the {@link SnapshotController}, and the chart
 * installed by {@code helm install} with the sidecar versions the binaries are and {@code skipKubeVersionCheck=true}
 * (the chart refuses the 1.24 API server otherwise). Everything lives under one directory in /tmp; closing deletes
 * the tests' pods and claims, uninstalls the chart in the README's order (so that the node plugin unmounts, detaches
 * and stops while its RBAC exists), then stops every process and removes the pod sandboxes, mounts, loop devices,
 * cgroups, bridge and iptables rule the node made.
 */
final class RealNode implements AutoCloseable {

    static final String NODE = "vdisk-e2e-node";
    static final String NAMESPACE = Helm.NAMESPACE;
    private static final List<String> TOOLS =
            List.of("containerd", "ctr", "runc", "buildah", "podman", "ip", "iptables", "mount");

    private final Path dir;
    private final NodeLeftovers leftovers = NodeLeftovers.before(List.of(NAMESPACE, RealNodeIT.USER_NAMESPACE));
    private final List<AutoCloseable> parts = new ArrayList<>();
    private ControlPlane plane;
    private Containerd containerd;
    private Kubelet kubelet;
    /** helm's kubeconfig (the admin's token) once {@code helm install} succeeded; null before and after uninstall. */
    private Path helmConfig;

    private RealNode(Path dir) {
        this.dir = dir;
    }

    /** The driver image's name: the chart's default, which bin/vdisk-image tags. */
    static String driverImage() throws IOException {
        String chart = Files.readString(RealCluster.REPO.resolve("charts/vdisk-csi/Chart.yaml"));
        String version = chart.lines()
                .filter(l -> l.startsWith("appVersion:"))
                .findFirst()
                .orElseThrow()
                .substring("appVersion:".length())
                .strip()
                .replace("\"", "");
        return "ghcr.io/vdisk-csi/vdisk-csi:" + version;
    }

    /** Starts the node and installs the chart; skips (fails under CI=true) when something it needs is missing. */
    static RealNode start() throws Exception {
        KubeAssets assets = KubeAssets.find();
        requireAll(assets);
        Path dir = Files.createTempDirectory(
                Path.of("/tmp"),
                "vdisk-node",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        RealNode node = new RealNode(dir);
        try {
            node.startParts(assets);
            return node;
        } catch (Exception | Error e) {
            node.close();
            throw e;
        }
    }

    private static void requireAll(KubeAssets assets) throws Exception {
        List<String> missing = new ArrayList<>();
        for (String tool : TOOLS) {
            if (HostCommand.which(tool) == null) {
                missing.add(tool);
            }
        }
        for (String binary :
                List.of("kubelet", "kube-scheduler", "crictl", "livenessprobe", "csi-node-driver-registrar")) {
            if (!Files.isExecutable(assets.binary(binary))) {
                missing.add(assets.binary(binary).toString());
            }
        }
        for (String file : List.of(
                "/usr/lib/cni/bridge",
                "/usr/lib/cni/host-local",
                "/usr/lib/cni/loopback",
                "/usr/bin/catatonit",
                "/dev/fuse")) {
            if (!Files.exists(Path.of(file))) {
                missing.add(file);
            }
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            missing.add("root");
        }
        if (missing.isEmpty() && HostCommand.which("podman") != null) {
            try {
                HostCommand.run("podman", "image", "exists", driverImage());
            } catch (IllegalStateException e) {
                missing.add("the image " + driverImage() + " (bin/vdisk-image builds it)");
            }
        }
        if (!missing.isEmpty()) {
            String why = "the real-node suite needs " + String.join(", ", missing)
                    + " (apt-get install containerd runc containernetworking-plugins catatonit buildah podman)";
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            System.out.println("skipped: " + why);
            throw new TestAbortedException(why);
        }
    }

    private void startParts(KubeAssets assets) throws Exception {
        long start = System.nanoTime();
        plane = ControlPlane.start(assets, dir.resolve("control-plane"));
        parts.add(plane);
        PodNetwork network = PodNetwork.start(dir.resolve("network"), plane.port());
        parts.add(network);
        containerd = Containerd.start(dir.resolve("containerd"), network.cniConfDir(), assets.binary("crictl"));
        parts.add(containerd);
        NodeImages.load(containerd, assets, driverImage(), dir.resolve("images"));
        long images = System.nanoTime();
        Path admin = plane.kubeconfig("scheduler", plane.adminToken(), "default");
        parts.add(ChildProcess.start(
                "kube-scheduler",
                dir,
                List.of(
                        assets.binary("kube-scheduler").toString(),
                        "--kubeconfig=" + admin,
                        "--leader-elect=false",
                        "--bind-address=127.0.0.1",
                        "--secure-port=" + ControlPlane.freePort()),
                Map.of()));
        kubelet = Kubelet.start(NODE, dir.resolve("kubelet"), plane, assets, containerd);
        parts.add(kubelet);
        awaitReady();
        kubelet.restoreSysctls();
        long ready = System.nanoTime();
        installChart(assets);
        System.out.printf(
                "real node %s: images loaded in %d s, node Ready %d s later, chart's pods ready %d s later"
                        + " (logs in %s)%n",
                NODE,
                TimeUnit.NANOSECONDS.toSeconds(images - start),
                TimeUnit.NANOSECONDS.toSeconds(ready - images),
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - ready),
                dir);
    }

    private void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!kubelet.isAlive()) {
                throw new IllegalStateException("the kubelet exited: " + kubelet.tail());
            }
            Node node = plane.admin().nodes().withName(NODE).get();
            if (node != null
                    && node.getStatus().getConditions().stream()
                            .anyMatch(c ->
                                    c.getType().equals("Ready") && c.getStatus().equals("True"))) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the node was not Ready in 120 s: " + kubelet.tail());
    }

    /** The chart's values for this node: the sidecar versions the binaries are, and the node's own paths. */
    List<String> chartValues() {
        List<String> values = new ArrayList<>(NodeImages.chartValues());
        values.addAll(List.of(
                "node.kubeletDir=" + kubelet.rootDir(),
                "node.poolPath=" + dir.resolve("pool"),
                "node.stateDir=" + dir.resolve("state"),
                "node.poolSize=4G",
                "controller.replicas=1",
                "skipKubeVersionCheck=true"));
        return values;
    }

    private void installChart(KubeAssets assets) throws Exception {
        // the node plugin's state dir is Bidirectional: it must be a shared mount, and / is private here
        Path state = dir.resolve("state");
        Files.createDirectories(state);
        HostCommand.run("mount", "--bind", state.toString(), state.toString());
        HostCommand.run("mount", "--make-shared", state.toString());
        // the common snapshot support first: the chart's VolumeSnapshotClass needs its CRD
        SnapshotController.establish(plane.admin(), SnapshotController.crds(assets));
        parts.add(SnapshotController.start(plane, assets, dir));
        Path config = plane.kubeconfig("helm", plane.adminToken(), NAMESPACE);
        List<String> args = new ArrayList<>(List.of("--create-namespace"));
        for (String value : chartValues()) {
            args.addAll(List.of("--set", value));
        }
        Helm.find().onCluster("install", config, args);
        helmConfig = config;
        awaitChartPods(180);
    }

    /**
     * The README's {@code helm upgrade --reuse-values --set image.tag=TAG} with the driver image under a new tag (the
     * same image: what restarts is what matters); waits until every chart pod runs the new tag and is ready.
     */
    void upgradeDriverImage(String tag) throws Exception {
        String image = driverImage();
        String upgraded = image.substring(0, image.lastIndexOf(':') + 1) + tag;
        containerd.tagImage(image, upgraded);
        Helm.find().onCluster("upgrade", helmConfig, List.of("--reuse-values", "--set", "image.tag=" + tag));
        KubernetesClient admin = plane.admin();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (System.nanoTime() < deadline) {
            // the node plugin's and the controller's pods (other DaemonSets of the chart may run beside them)
            var pods = admin.pods().inNamespace(NAMESPACE).list().getItems().stream()
                    .filter(p -> List.of("node", "controller").contains(component(p)))
                    .toList();
            if (pods.size() == 2
                    && pods.stream()
                            .allMatch(p -> ready(p)
                                    && p.getSpec().getContainers().stream()
                                            .filter(c -> c.getName().equals("vdisk-csi"))
                                            .allMatch(c -> c.getImage().equals(upgraded)))) {
                return;
            }
            Thread.sleep(1000);
        }
        awaitChartPods(1);
        throw new IllegalStateException("the chart's pods did not all run " + upgraded + " in 240 s");
    }

    /**
     * {@code kubectl delete pod} of the node DaemonSet's pod, as an operator restarting the node plugin would; waits
     * until its successor is ready. Returns the successor.
     */
    Pod restartNodePlugin() throws InterruptedException {
        KubernetesClient admin = plane.admin();
        Pod old = nodePluginPod();
        admin.resource(old).delete();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (System.nanoTime() < deadline) {
            Pod now = nodePluginPod();
            if (now != null
                    && !now.getMetadata().getUid().equals(old.getMetadata().getUid())
                    && ready(now)) {
                return now;
            }
            Thread.sleep(500);
        }
        awaitChartPods(1);
        throw new IllegalStateException("no new node plugin pod was ready 240 s after deleting " + old);
    }

    /** The node DaemonSet's pod (null while there is none). */
    Pod nodePluginPod() {
        return plane.admin().pods().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(p -> "node".equals(component(p)))
                .findFirst()
                .orElse(null);
    }

    /**
     * The README's uninstall: the driver's workloads first, waiting until their pods are gone (the node plugin's last
     * status write still has its RBAC), then {@code helm uninstall --cascade foreground --wait}. Needs the tests' claims deleted first.
     */
    void uninstall() throws InterruptedException {
        KubernetesClient admin = plane.admin();
        admin.apps()
                .daemonSets()
                .inNamespace(NAMESPACE)
                .withName(Helm.RELEASE + "-node")
                .withPropagationPolicy(DeletionPropagation.FOREGROUND)
                .delete();
        admin.apps()
                .deployments()
                .inNamespace(NAMESPACE)
                .withName(Helm.RELEASE + "-controller")
                .withPropagationPolicy(DeletionPropagation.FOREGROUND)
                .delete();
        waitUntil(
                () -> admin.pods().inNamespace(NAMESPACE).list().getItems().stream()
                        .noneMatch(p -> List.of("node", "controller").contains(component(p))),
                120);
        // foreground: helm's wait then lasts until the holder's pods are gone too, not only their DaemonSet
        Helm.find()
                .onCluster("uninstall", helmConfig, List.of("--cascade", "foreground", "--wait", "--timeout", "120s"));
        helmConfig = null;
    }

    /** Waits until the node DaemonSet's and the controller Deployment's pods are Running with every container ready. */
    void awaitChartPods(int seconds) throws InterruptedException {
        KubernetesClient admin = plane.admin();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            var pods = admin.pods().inNamespace(NAMESPACE).list().getItems();
            boolean node = pods.stream().anyMatch(p -> "node".equals(component(p)) && ready(p));
            boolean controller = pods.stream().anyMatch(p -> "controller".equals(component(p)) && ready(p));
            if (node && controller) {
                return;
            }
            Thread.sleep(1000);
        }
        StringBuilder why = new StringBuilder("the chart's pods were not ready in " + seconds + " s:");
        for (var pod : admin.pods().inNamespace(NAMESPACE).list().getItems()) {
            why.append("\n  ")
                    .append(pod.getMetadata().getName())
                    .append(' ')
                    .append(pod.getStatus().getPhase())
                    .append(' ')
                    .append(pod.getStatus().getContainerStatuses());
        }
        throw new IllegalStateException(why.toString());
    }

    private static String component(Pod pod) {
        return pod.getMetadata().getLabels().get("app.kubernetes.io/component");
    }

    static boolean ready(Pod pod) {
        return "Running".equals(pod.getStatus().getPhase())
                && pod.getStatus().getContainerStatuses() != null
                && !pod.getStatus().getContainerStatuses().isEmpty()
                && pod.getStatus().getContainerStatuses().stream().allMatch(c -> Boolean.TRUE.equals(c.getReady()));
    }

    /** A container's log as the kubelet wrote it on this host (the API server has no kubelet client here). */
    String podLog(Pod pod, String container) throws IOException {
        Path dir = Path.of(
                "/var/log/pods",
                pod.getMetadata().getNamespace() + "_" + pod.getMetadata().getName() + "_"
                        + pod.getMetadata().getUid(),
                container);
        StringBuilder log = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().toList()) {
                log.append(Files.readString(file));
            }
        }
        return log.toString();
    }

    KubernetesClient admin() {
        return plane.admin();
    }

    /** The API server's audit log: every request with its user and answer. */
    Path auditLog() {
        return plane.auditLog();
    }

    Containerd containerd() {
        return containerd;
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        if (plane != null && plane.admin() != null) {
            removeWorkloads();
        }
        for (AutoCloseable part : parts.reversed()) {
            try {
                part.close();
            } catch (Exception e) {
                System.err.println("stopping " + part + " failed: " + e);
            }
        }
        parts.clear();
        KernelView.cleanUpUnder(dir);
        leftovers.remove();
        // the bulky parts (images, pool, pods' files); the logs stay for a failed run's reader
        for (String bulky : List.of("containerd/root", "containerd/state", "pool", "kubelet/root", "state")) {
            HostCommand.quietly(
                    "rm", "-rf", "--one-file-system", dir.resolve(bulky).toString());
        }
    }

    /** Deletes the tests' pods and claims, then uninstalls the chart, so that the node plugin unstages and stops. */
    private void removeWorkloads() {
        KubernetesClient admin = plane.admin();
        try {
            admin.pods().inAnyNamespace().list().getItems().stream()
                    .filter(p -> !NAMESPACE.equals(p.getMetadata().getNamespace()))
                    .forEach(p -> admin.resource(p).delete());
            admin.persistentVolumeClaims().inAnyNamespace().delete();
            waitUntil(
                    () -> admin.pods().inAnyNamespace().list().getItems().stream()
                            .allMatch(p -> NAMESPACE.equals(p.getMetadata().getNamespace())),
                    90);
            waitUntil(() -> admin.persistentVolumes().list().getItems().isEmpty(), 60);
            if (helmConfig != null) {
                uninstall();
            }
        } catch (RuntimeException | AssertionError | InterruptedException e) {
            System.err.println("cleanup: uninstalling through the API failed: " + e);
        }
        try {
            // what a failed install or uninstall left
            admin.apps().deployments().inNamespace(NAMESPACE).delete();
            admin.apps().daemonSets().inNamespace(NAMESPACE).delete();
            waitUntil(
                    () -> admin.pods().inNamespace(NAMESPACE).list().getItems().isEmpty(), 90);
        } catch (RuntimeException | InterruptedException e) {
            System.err.println("cleanup: removing the chart's pods through the API failed: " + e);
        }
    }

    private static void waitUntil(BooleanSupplier condition, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
    }
}
