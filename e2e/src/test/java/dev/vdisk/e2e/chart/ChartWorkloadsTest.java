package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.node.NodeClusterConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The controller Deployment and the node DaemonSet as rendered with the default values: the sidecars' flags, one
 * socket shared by the driver and its sidecars, mount propagation, and privilege only where the node needs it.
 */
class ChartWorkloadsTest {

    private static Manifests chart;
    private static PodSpec controller;
    private static PodSpec node;

    @BeforeAll
    static void render() {
        chart = Helm.find().render();
        controller = chart.one(Deployment.class, "vdisk-csi-controller")
                .getSpec()
                .getTemplate()
                .getSpec();
        node = chart.one(DaemonSet.class, "vdisk-csi-node")
                .getSpec()
                .getTemplate()
                .getSpec();
    }

    @Test
    void controllerRunsTwoLeaderElectedReplicasOfTheDriverAndTheUpstreamSidecars() {
        assertEquals(
                2, chart.one(Deployment.class, "vdisk-csi-controller").getSpec().getReplicas());
        assertEquals(
                List.of("vdisk-csi", "csi-provisioner", "csi-snapshotter", "csi-resizer", "liveness-probe"),
                controller.getContainers().stream().map(Container::getName).toList());
        List<String> driver = container(controller, "vdisk-csi").getArgs();
        assertEquals("controller", driver.getFirst());
        assertTrue(
                driver.containsAll(List.of(
                        "--driver-name=vdisk.csi.dev",
                        "--leader-election-namespace=$(POD_NAMESPACE)",
                        "--leader-election-id=vdisk-csi-controller")),
                driver.toString());
        assertTrue(container(controller, "vdisk-csi").getEnv().stream()
                .anyMatch(e -> e.getName().equals("POD_NAMESPACE")
                        && e.getValueFrom().getFieldRef().getFieldPath().equals("metadata.namespace")));
    }

    @Test
    void provisionerHasTopologyCapacityMetadataAndLeaderElectionFlags() {
        List<String> args = container(controller, "csi-provisioner").getArgs();
        assertTrue(
                args.containsAll(List.of(
                        "--feature-gates=Topology=true",
                        "--strict-topology",
                        "--immediate-topology=false",
                        "--enable-capacity",
                        "--extra-create-metadata",
                        "--leader-election")),
                args.toString());
        // capacity objects are owned by the Deployment: the provisioner needs to know its pod and namespace
        List<String> env = container(controller, "csi-provisioner").getEnv().stream()
                .map(e -> e.getName())
                .toList();
        assertTrue(env.containsAll(List.of("NAMESPACE", "POD_NAME")), env.toString());
        assertTrue(
                timeout(args).compareTo(kubeTimeout()) > 0,
                "the provisioner's timeout exceeds the driver's wait for the node agent: " + args);
    }

    @Test
    void snapshotterAndResizerHaveTheirFlags() {
        List<String> snapshotter = container(controller, "csi-snapshotter").getArgs();
        assertTrue(
                snapshotter.containsAll(List.of("--extra-create-metadata", "--leader-election")),
                snapshotter.toString());
        assertFalse(snapshotter.contains("--feature-gates=CSIVolumeGroupSnapshot=true"), "group snapshots are opt-in");
        List<String> resizer = container(controller, "csi-resizer").getArgs();
        assertTrue(
                resizer.containsAll(List.of("--handle-volume-inuse-error=false", "--leader-election")),
                resizer.toString());
        assertTrue(timeout(snapshotter).compareTo(kubeTimeout()) > 0);
        assertTrue(timeout(resizer).compareTo(kubeTimeout()) > 0);
    }

    @Test
    void controllerShowsNodeAgentsATokenForTheirAudience() {
        Container driver = container(controller, "vdisk-csi");
        Path token = Path.of(flag(driver, "--agent-token-file").orElseThrow());
        Volume volume = volume(controller, volumeHolding(driver, token));
        var projection = volume.getProjected().getSources().stream()
                .filter(s -> s.getServiceAccountToken() != null)
                .findFirst()
                .orElseThrow()
                .getServiceAccountToken();
        assertEquals(NodeClusterConfig.DEFAULT_AUDIENCE, projection.getAudience(), "the audience node agents accept");
        assertEquals(token.getFileName().toString(), projection.getPath());
        assertEquals(relative(driver, token), Path.of(projection.getPath()));
    }

    @Test
    void everySidecarDialsTheSocketTheDriverServesThroughTheSameVolume() {
        for (PodSpec pod : List.of(controller, node)) {
            Container driver = container(pod, "vdisk-csi");
            String endpoint = flag(driver, "--endpoint").orElseThrow();
            assertTrue(endpoint.startsWith("unix://"), endpoint);
            Path socket = Path.of(endpoint.substring("unix://".length()));
            String volume = volumeHolding(driver, socket);
            for (Container sidecar : pod.getContainers()) {
                if (sidecar == driver) {
                    continue;
                }
                Path address = Path.of(flag(sidecar, "--csi-address")
                        .orElseThrow(() -> new AssertionError(sidecar.getName() + " has no --csi-address")));
                assertEquals(
                        volume,
                        volumeHolding(sidecar, address),
                        sidecar.getName() + " reaches " + address + " through the driver's socket volume");
                assertEquals(
                        relative(driver, socket),
                        relative(sidecar, address),
                        sidecar.getName() + " dials the driver's socket");
            }
        }
        // the kubelet dials the node plugin on the host: the registrar must tell it where the socket volume is
        Volume socketDir = volume(node, volumeHolding(container(node, "vdisk-csi"), Path.of("/csi/csi.sock")));
        assertEquals(
                socketDir.getHostPath().getPath() + "/csi.sock",
                flag(container(node, "node-driver-registrar"), "--kubelet-registration-path")
                        .orElseThrow());
        assertEquals(
                "/var/lib/kubelet/plugins/vdisk.csi.dev",
                socketDir.getHostPath().getPath());
        assertEquals(
                "/var/lib/kubelet/plugins_registry",
                volume(
                                node,
                                mount(container(node, "node-driver-registrar"), "/registration")
                                        .getName())
                        .getHostPath()
                        .getPath());
        assertNotNull(
                volume(controller, volumeHolding(container(controller, "vdisk-csi"), Path.of("/csi/csi.sock")))
                        .getEmptyDir(),
                "the controller's socket is private to the pod");
    }

    @Test
    void nodeDriverMountsKubeletAndStateDirectoriesBidirectionallyAtTheirHostPaths() {
        Container driver = container(node, "vdisk-csi");
        for (String flag : List.of("--kubelet-dir", "--state-dir")) {
            String dir = flag(driver, flag).orElseThrow();
            VolumeMount mount = mount(driver, dir);
            assertEquals("Bidirectional", mount.getMountPropagation(), flag + " " + dir);
            // the kubelet passes host paths: inside the container they must mean the same place
            assertEquals(dir, volume(node, mount.getName()).getHostPath().getPath(), flag);
        }
        String pool = flag(driver, "--pool").orElseThrow();
        assertEquals(
                pool, volume(node, mount(driver, pool).getName()).getHostPath().getPath());
        assertEquals(
                "/dev",
                volume(node, mount(driver, "/dev").getName()).getHostPath().getPath());
        Volume fuse = volume(node, mount(driver, "/dev/fuse").getName());
        assertEquals("CharDevice", fuse.getHostPath().getType(), "a node without FUSE refuses the pod, saying why");
        for (Container sidecar : node.getContainers()) {
            if (sidecar != driver) {
                assertTrue(
                        sidecar.getVolumeMounts().stream().allMatch(m -> m.getMountPropagation() == null),
                        sidecar.getName() + " needs no mount propagation");
            }
        }
        assertEquals("$(POD_IP):9810", flag(driver, "--agent-address").orElseThrow());
        assertEquals(
                "vdisk-system:vdisk-csi-controller",
                flag(driver, "--agent-client-sa").orElseThrow(),
                "the agent API accepts the controller's service account");
        assertEquals("$(NODE_NAME)", flag(driver, "--node-id").orElseThrow());
        assertEquals(
                "vdisk-system:vdisk-csi-node",
                flag(driver, "--agent-peer-sa").orElseThrow(),
                "node agents pull replicas from each other as the node plugin's account");
        Path token = Path.of(flag(driver, "--agent-token-file").orElseThrow());
        Volume projected =
                volume(node, mount(driver, token.getParent().toString()).getName());
        assertEquals(
                "vdisk-csi-agent-api",
                projected
                        .getProjected()
                        .getSources()
                        .getFirst()
                        .getServiceAccountToken()
                        .getAudience(),
                "the token shown to other node agents is for their audience only");
        assertEquals(
                volumeHolding(driver, Path.of(flag(driver, "--agent-tls-cert").orElseThrow())),
                volumeHolding(driver, Path.of(flag(driver, "--agent-ca-file").orElseThrow())),
                "the CA that other agents' certificates chain to comes with this agent's own certificate");
    }

    @Test
    void onlyTheNodeDriverIsPrivilegedOrRoot() {
        for (PodSpec pod : List.of(controller, node)) {
            for (Container c : pod.getContainers()) {
                SecurityContext sc = c.getSecurityContext();
                boolean nodeDriver = pod == node && c.getName().equals("vdisk-csi");
                if (nodeDriver) {
                    assertEquals(Boolean.TRUE, sc.getPrivileged(), "loop devices, FUSE and mounts need privilege");
                } else {
                    assertNotNull(sc, c.getName() + " has a security context");
                    assertFalse(Boolean.TRUE.equals(sc.getPrivileged()), c.getName() + " is not privileged");
                    assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), c.getName());
                    assertEquals(
                            List.of("ALL"), sc.getCapabilities().getDrop(), c.getName() + " drops every capability");
                }
            }
        }
        assertEquals(
                Boolean.TRUE, controller.getSecurityContext().getRunAsNonRoot(), "the controller pod runs as non-root");
        assertTrue(
                controller.getVolumes().stream().noneMatch(v -> v.getHostPath() != null),
                "the controller uses no host path");
        assertFalse(Boolean.TRUE.equals(node.getHostNetwork()));
        assertFalse(Boolean.TRUE.equals(controller.getHostNetwork()));
    }

    @Test
    void livenessProbesReachTheLivenessSidecar() {
        for (PodSpec pod : List.of(controller, node)) {
            Container driver = container(pod, "vdisk-csi");
            String port = driver.getLivenessProbe().getHttpGet().getPort().getStrVal();
            int containerPort = driver.getPorts().stream()
                    .filter(p -> p.getName().equals(port))
                    .findFirst()
                    .orElseThrow()
                    .getContainerPort();
            assertEquals(
                    Integer.toString(containerPort),
                    flag(container(pod, "liveness-probe"), "--health-port").orElseThrow());
        }
        var startup = container(node, "vdisk-csi").getStartupProbe();
        assertEquals("healthz", startup.getHttpGet().getPort().getStrVal());
        assertTrue(
                startup.getPeriodSeconds() * startup.getFailureThreshold() >= 300,
                "a restarted node driver re-stages its volumes before it serves: minutes, not seconds");
    }

    @Test
    void driversServeMetricsWhereThePodAnnotationsPoint() {
        for (var workload : List.of(
                chart.one(Deployment.class, "vdisk-csi-controller").getSpec().getTemplate(),
                chart.one(DaemonSet.class, "vdisk-csi-node").getSpec().getTemplate())) {
            Container driver = container(workload.getSpec(), "vdisk-csi");
            String listen = flag(driver, "--metrics-listen").orElseThrow();
            String port = listen.substring(listen.lastIndexOf(':') + 1);
            assertEquals(port, workload.getMetadata().getAnnotations().get("prometheus.io/port"));
            assertEquals(
                    Integer.parseInt(port),
                    driver.getPorts().stream()
                            .filter(p -> p.getName().equals("metrics"))
                            .findFirst()
                            .orElseThrow()
                            .getContainerPort());
        }
        Manifests off = Helm.find().render("--set", "metrics.enabled=false");
        Container driver = container(
                off.one(DaemonSet.class, "vdisk-csi-node")
                        .getSpec()
                        .getTemplate()
                        .getSpec(),
                "vdisk-csi");
        assertTrue(flag(driver, "--metrics-listen").isEmpty());
    }

    @Test
    void imagesComeFromTheValues() {
        assertEquals(
                "ghcr.io/vdisk-csi/vdisk-csi:0.1.0",
                container(controller, "vdisk-csi").getImage(),
                "appVersion by default");
        assertEquals(
                "registry.k8s.io/sig-storage/csi-provisioner:v6.3.0",
                container(controller, "csi-provisioner").getImage());
        Manifests tagged = Helm.find()
                .render(
                        "--set",
                        "image.tag=dev",
                        "--set",
                        "sidecars.nodeDriverRegistrar.image=mirror.local/registrar:v2.17.0");
        assertEquals(
                "ghcr.io/vdisk-csi/vdisk-csi:dev",
                container(
                                tagged.one(DaemonSet.class, "vdisk-csi-node")
                                        .getSpec()
                                        .getTemplate()
                                        .getSpec(),
                                "vdisk-csi")
                        .getImage());
        assertEquals(
                "mirror.local/registrar:v2.17.0",
                container(
                                tagged.one(DaemonSet.class, "vdisk-csi-node")
                                        .getSpec()
                                        .getTemplate()
                                        .getSpec(),
                                "node-driver-registrar")
                        .getImage());
    }

    static Container container(PodSpec pod, String name) {
        return pod.getContainers().stream()
                .filter(c -> c.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name));
    }

    static Optional<String> flag(Container container, String name) {
        List<String> values = container.getArgs().stream()
                .filter(a -> a.startsWith(name + "="))
                .map(a -> a.substring(name.length() + 1))
                .toList();
        assertTrue(values.size() <= 1, name + " given twice to " + container.getName());
        return values.stream().findFirst();
    }

    private static Duration kubeTimeout() {
        return Duration.ofSeconds(Long.parseLong(
                flag(container(controller, "vdisk-csi"), "--kube-timeout").orElseThrow()));
    }

    private static Duration timeout(List<String> args) {
        String value = args.stream()
                .filter(a -> a.startsWith("--timeout="))
                .findFirst()
                .orElseThrow()
                .substring(10);
        return Duration.parse("PT" + value.toUpperCase());
    }

    private static VolumeMount mount(Container c, String path) {
        return c.getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals(path))
                .findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " mounts nothing at " + path));
    }

    /** The volume whose mount in this container holds the path (the deepest mount that contains it). */
    private static String volumeHolding(Container c, Path path) {
        return c.getVolumeMounts().stream()
                .filter(m -> path.startsWith(m.getMountPath()))
                .max((a, b) -> Integer.compare(
                        a.getMountPath().length(), b.getMountPath().length()))
                .orElseThrow(() -> new AssertionError(c.getName() + " mounts nothing holding " + path))
                .getName();
    }

    private static Path relative(Container c, Path path) {
        VolumeMount m = c.getVolumeMounts().stream()
                .filter(v -> v.getName().equals(volumeHolding(c, path)))
                .findFirst()
                .orElseThrow();
        return Path.of(m.getMountPath()).relativize(path);
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream()
                .filter(v -> v.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }
}
