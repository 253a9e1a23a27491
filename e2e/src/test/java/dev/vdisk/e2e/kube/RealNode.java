package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.fail;

import dev.vdisk.e2e.KernelView;
import dev.vdisk.e2e.chart.Helm;
import dev.vdisk.e2e.chart.Manifests;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.opentest4j.TestAbortedException;

/**
 * A one-node cluster with a real kubelet: the {@link ControlPlane} plus the scheduler, containerd, a
 * {@link PodNetwork}, the kubelet, the images of {@link NodeImages}, and the chart applied as
 * {@code helm template --kube-version 1.30} renders it (the chart refuses the 1.24 API server otherwise) with the
 * sidecar versions the binaries are. Everything lives under one directory in /tmp; closing deletes the chart's
 * pods through the API first (so that the node plugin unmounts and detaches), then stops every process and removes
 * the pod sandboxes, mounts, loop devices, cgroups, bridge and iptables rule the node made.
 */
final class RealNode implements AutoCloseable {

    static final String NODE = "vdisk-e2e-node";
    static final String NAMESPACE = Helm.NAMESPACE;
    private static final Set<String> CLUSTER_KINDS = Set.of(
            "Namespace",
            "ClusterRole",
            "ClusterRoleBinding",
            "StorageClass",
            "CSIDriver",
            "VolumeSnapshotClass",
            "CustomResourceDefinition");
    private static final List<String> TOOLS =
            List.of("containerd", "ctr", "runc", "buildah", "podman", "ip", "iptables", "mount");

    private final Path dir;
    private final NodeLeftovers leftovers = NodeLeftovers.before(List.of(NAMESPACE, RealNodeIT.USER_NAMESPACE));
    private final List<AutoCloseable> parts = new ArrayList<>();
    private ControlPlane plane;
    private Containerd containerd;
    private Kubelet kubelet;

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
        installChart();
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
                "controller.replicas=1"));
        return values;
    }

    private void installChart() throws Exception {
        // the node plugin's state dir is Bidirectional: it must be a shared mount, and / is private here
        Path state = dir.resolve("state");
        Files.createDirectories(state);
        HostCommand.run("mount", "--bind", state.toString(), state.toString());
        HostCommand.run("mount", "--make-shared", state.toString());
        KubernetesClient admin = plane.admin();
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
        List<String> args = new ArrayList<>(List.of("--kube-version", "1.30", "--include-crds"));
        for (String value : chartValues()) {
            args.add("--set");
            args.add(value);
        }
        Manifests chart = Helm.find().render(args.toArray(String[]::new));
        List<HasMetadata> crds = new ArrayList<>(chart.all(CustomResourceDefinition.class));
        try (Stream<Path> files = Files.list(KubeAssets.find().snapshotCrds())) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                crds.addAll(Manifests.parse(Files.readString(file)).objects());
            }
        }
        for (HasMetadata crd : crds) {
            admin.resource(crd).create();
        }
        for (HasMetadata crd : crds) {
            admin.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .withName(crd.getMetadata().getName())
                    .waitUntilCondition(
                            c -> c != null
                                    && c.getStatus() != null
                                    && c.getStatus().getConditions().stream()
                                            .anyMatch(k -> k.getType().equals("Established")
                                                    && k.getStatus().equals("True")),
                            60,
                            TimeUnit.SECONDS);
        }
        for (HasMetadata object : chart.objects()) {
            if (object instanceof CustomResourceDefinition) {
                continue;
            }
            if (object.getMetadata().getNamespace() == null && !CLUSTER_KINDS.contains(object.getKind())) {
                object.getMetadata().setNamespace(NAMESPACE);
            }
            admin.resource(object).create();
        }
        // the common snapshot controller (not the chart's): its account from the suite's manifest, run as a process
        try (var in = RealNode.class.getResourceAsStream("snapshot-controller.yaml")) {
            for (HasMetadata object : Manifests.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .objects()) {
                admin.resource(object).create();
            }
        }
        Path snapshotConfig = plane.kubeconfig(
                "snapshot-controller", plane.token("kube-system", "snapshot-controller", null), "kube-system");
        parts.add(ChildProcess.start(
                "snapshot-controller",
                dir,
                List.of(
                        KubeAssets.find().binary("snapshot-controller").toString(),
                        "--kubeconfig=" + snapshotConfig,
                        "--leader-election=false",
                        "--v=2"),
                Map.of()));
        awaitChartPods(180);
    }

    /**
     * What {@code helm upgrade --set image.tag=TAG} does to the workloads: the driver image under a new tag (the
     * same image: what restarts is what matters) and the DaemonSet and Deployment applied again; waits until every
     * chart pod runs the new tag and is ready.
     */
    void upgradeDriverImage(String tag) throws Exception {
        String image = driverImage();
        String upgraded = image.substring(0, image.lastIndexOf(':') + 1) + tag;
        containerd.tagImage(image, upgraded);
        List<String> args = new ArrayList<>(List.of("--kube-version", "1.30"));
        for (String value : chartValues()) {
            args.add("--set");
            args.add(value);
        }
        args.addAll(List.of("--set", "image.tag=" + tag));
        Manifests chart = Helm.find().render(args.toArray(String[]::new));
        KubernetesClient admin = plane.admin();
        for (HasMetadata workload : List.<HasMetadata>of(
                chart.one(DaemonSet.class, "vdisk-csi-node"), chart.one(Deployment.class, "vdisk-csi-controller"))) {
            workload.getMetadata().setNamespace(NAMESPACE);
            admin.resource(workload).forceConflicts().serverSideApply();
        }
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

    /** Deletes the tests' pods and then the chart's, so that the node plugin unstages and stops cleanly. */
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
            admin.apps().deployments().inNamespace(NAMESPACE).delete();
            admin.apps().daemonSets().inNamespace(NAMESPACE).delete();
            waitUntil(
                    () -> admin.pods().inNamespace(NAMESPACE).list().getItems().isEmpty(), 90);
        } catch (RuntimeException | InterruptedException e) {
            System.err.println("cleanup: removing the pods through the API failed: " + e);
        }
    }

    private static void waitUntil(BooleanSupplier condition, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
    }
}
