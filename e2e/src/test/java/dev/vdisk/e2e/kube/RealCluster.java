package dev.vdisk.e2e.kube;

import dev.vdisk.e2e.KernelView;
import dev.vdisk.e2e.chart.Helm;
import dev.vdisk.e2e.chart.Manifests;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The one test cluster the real-server suite shares: the {@link ControlPlane}, the chart's objects as
 * {@code helm template --kube-version 1.30} renders them (so that the API server judges its CRD schemas and RBAC)
 * plus the snapshot CRDs, the snapshot controller, two node agents and two controller replicas with their sidecars,
 * each with its own service account's token. Started once per JVM by {@link #get()}; stopped when the test run
 * ends ({@link RealClusterExtension}) or, failing that, by a shutdown hook.
 */
final class RealCluster implements AutoCloseable {

    static final String NAMESPACE = Helm.NAMESPACE;
    static final String USER_NAMESPACE = "e2e";
    static final String CLASS = "vdisk";
    static final Path REPO = Path.of(System.getProperty("vdisk.repo.root", ".."))
            .toAbsolutePath()
            .normalize();
    /** The sidecar versions these binaries are; the chart is rendered with them so that its flags match. */
    static final List<String> SIDECAR_IMAGES = List.of(
            "sidecars.provisioner.image=registry.k8s.io/sig-storage/csi-provisioner:v3.4.1",
            "sidecars.snapshotter.image=registry.k8s.io/sig-storage/csi-snapshotter:v6.2.2",
            "sidecars.resizer.image=registry.k8s.io/sig-storage/csi-resizer:v1.7.0");

    private static final Set<String> CLUSTER_KINDS = Set.of(
            "Namespace",
            "ClusterRole",
            "ClusterRoleBinding",
            "StorageClass",
            "CSIDriver",
            "VolumeSnapshotClass",
            "CustomResourceDefinition");

    private static RealCluster shared;
    private static Throwable startFailure;

    private final Path dir;
    private final KubeAssets assets;
    private final List<AutoCloseable> parts = new ArrayList<>();
    private ControlPlane plane;
    private final List<DriverNode> nodes = new ArrayList<>();
    private final List<ControllerPod> controllers = new ArrayList<>();
    private String version;

    private RealCluster(Path dir, KubeAssets assets) {
        this.dir = dir;
        this.assets = assets;
    }

    /** The shared cluster, started on first use; skips (or under CI=true fails) when the binaries are missing. */
    static synchronized RealCluster get() throws Exception {
        if (startFailure != null) {
            // one failed start is enough: the next class must not spend another minute on the same failure
            throw new IllegalStateException(
                    "the test cluster failed to start (see the first class's error)", startFailure);
        }
        if (shared == null) {
            KubeAssets assets = KubeAssets.find();
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "vdisk-kube");
            RealCluster cluster = new RealCluster(dir, assets);
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "vdisk-kube-cluster-stop"));
            long start = System.nanoTime();
            try {
                cluster.start();
            } catch (Exception | Error e) {
                startFailure = e;
                cluster.close();
                throw e;
            }
            System.out.printf(
                    "real API server %s on %s: cluster with 2 nodes and 2 controller replicas ready in %d s"
                            + " (logs in %s)%n",
                    cluster.version,
                    cluster.plane.url(),
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
                    dir);
            shared = cluster;
        }
        return shared;
    }

    /** Stops the shared cluster if one was started (the end of the test run). */
    static synchronized void stopShared() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
    }

    private void start() throws Exception {
        plane = ControlPlane.start(assets, dir.resolve("control-plane"));
        parts.add(plane);
        KubernetesClient admin = plane.admin();
        version = admin.getKubernetesVersion().getGitVersion();
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
        List<String> args = new ArrayList<>(List.of("--kube-version", "1.30", "--include-crds"));
        for (String image : SIDECAR_IMAGES) {
            args.add("--set");
            args.add(image);
        }
        Manifests chart = Helm.find().render(args.toArray(String[]::new));
        List<HasMetadata> crds = new ArrayList<>(chart.all(CustomResourceDefinition.class));
        crds.addAll(SnapshotController.crds(assets));
        SnapshotController.establish(admin, crds);
        for (HasMetadata object : chart.objects()) {
            if (!(object instanceof CustomResourceDefinition)) {
                create(admin, object);
            }
        }
        parts.add(SnapshotController.start(plane, assets, dir));
        Path launcher = REPO.resolve("bin/vdisk-csi");
        var daemonSet = chart.one(DaemonSet.class, "vdisk-csi-node")
                .getSpec()
                .getTemplate()
                .getSpec();
        var deployment = chart.one(Deployment.class, "vdisk-csi-controller")
                .getSpec()
                .getTemplate()
                .getSpec();
        Path tls = AgentApiTls.write(chart, dir.resolve("agent-api-tls"));
        List<String> pods = controllerPodNames(admin);
        // the four JVMs start at once: one after the other they take a minute on a busy machine
        List<Future<DriverNode>> startingNodes = new ArrayList<>();
        List<Future<ControllerPod>> startingControllers = new ArrayList<>();
        try (ExecutorService starts = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String name : List.of("node-a", "node-b")) {
                startingNodes.add(starts.submit(() -> restartingOnce(
                        () -> DriverNode.start(name, dir.resolve("nodes"), daemonSet, plane, launcher, tls))));
            }
            for (String pod : pods) {
                startingControllers.add(starts.submit(() -> restartingOnce(() -> ControllerPod.start(
                        pod, dir.resolve("controllers"), deployment, plane, assets, launcher, tls))));
            }
        }
        ExecutionException failed = null;
        for (Future<DriverNode> node : startingNodes) {
            try {
                nodes.add(node.get());
                parts.add(nodes.getLast());
            } catch (ExecutionException e) {
                failed = e;
            }
        }
        for (Future<ControllerPod> controller : startingControllers) {
            try {
                controllers.add(controller.get());
                parts.add(controllers.getLast());
            } catch (ExecutionException e) {
                failed = e;
            }
        }
        if (failed != null) {
            throw new IllegalStateException(
                    "the driver did not start: " + failed.getCause().getMessage(), failed.getCause());
        }
    }

    /**
     * Starts a component a second time if the first one failed, as the kubelet restarts a crashed container: on a
     * machine shared by many jobs the driver's first connection to the API server can time out (10 s).
     */
    private static <T> T restartingOnce(Callable<T> start) throws Exception {
        try {
            return start.call();
        } catch (Exception e) {
            System.err.println("restarting a component that failed to start: " + e.getMessage());
            return start.call();
        }
    }

    /** Objects go in the release namespace unless they say otherwise, as helm install --namespace puts them. */
    private static void create(KubernetesClient admin, HasMetadata object) {
        if (object.getMetadata().getNamespace() == null && !CLUSTER_KINDS.contains(object.getKind())) {
            object.getMetadata().setNamespace(NAMESPACE);
        }
        admin.resource(object).create();
    }

    /** The names of the Pending pods the Deployment's ReplicaSet made (no scheduler, no kubelet here). */
    private static List<String> controllerPodNames(KubernetesClient admin) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            List<String> names = admin
                    .pods()
                    .inNamespace(NAMESPACE)
                    .withLabel("app.kubernetes.io/component", "controller")
                    .list()
                    .getItems()
                    .stream()
                    .map(Pod::getMetadata)
                    .map(m -> m.getName())
                    .sorted()
                    .toList();
            if (names.size() == 2) {
                return names;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the controller Deployment's ReplicaSet made no 2 pods in 60 s");
    }

    ControlPlane plane() {
        return plane;
    }

    KubernetesClient admin() {
        return plane.admin();
    }

    String version() {
        return version;
    }

    Path dir() {
        return dir;
    }

    List<DriverNode> nodes() {
        return List.copyOf(nodes);
    }

    DriverNode node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    List<ControllerPod> controllers() {
        return List.copyOf(controllers);
    }

    /** The user's kubeconfig: only the namespace's edit role and the chart's viewer role. */
    Path userKubeconfig() throws IOException {
        return plane.kubeconfig("user", plane.userToken(), USER_NAMESPACE);
    }

    KubernetesClient userClient() {
        return plane.client(plane.userToken(), USER_NAMESPACE);
    }

    @Override
    public synchronized void close() {
        for (AutoCloseable part : parts.reversed()) {
            try {
                part.close();
            } catch (Exception e) {
                System.err.println("stopping " + part + " failed: " + e);
            }
        }
        parts.clear();
        KernelView.cleanUpUnder(dir);
    }
}
