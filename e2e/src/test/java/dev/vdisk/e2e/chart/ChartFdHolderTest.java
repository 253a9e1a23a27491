package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The descriptor holder's DaemonSet: the node plugin dials the socket the holder serves, through the same host
 * directory; the holder's pod template stays the same when only the driver's image or flags change (so a driver
 * upgrade does not restart it); it is root but unprivileged; it runs where the node plugin runs.
 */
class ChartFdHolderTest {

    private static final String HOLDER = "vdisk-csi-fd-holder";
    private static final String NODE = "vdisk-csi-node";

    @Test
    void nodePluginDialsTheSocketTheHolderServesThroughTheSameHostPath() {
        Manifests chart = Helm.find().render();
        PodSpec holder = pod(chart, HOLDER);
        PodSpec node = pod(chart, NODE);
        Container fdHolder = ChartWorkloadsTest.container(holder, "fd-holder");
        assertEquals("fd-holder", fdHolder.getArgs().getFirst());
        Path served = Path.of(ChartWorkloadsTest.flag(fdHolder, "--socket").orElseThrow());
        Path dialed = Path.of(ChartWorkloadsTest.flag(ChartWorkloadsTest.container(node, "vdisk-csi"), "--fd-holder")
                .orElseThrow(() -> new AssertionError("the node plugin is given no --fd-holder")));
        Path hostServed = hostPath(holder, fdHolder, served);
        assertEquals(
                hostServed,
                hostPath(node, ChartWorkloadsTest.container(node, "vdisk-csi"), dialed),
                "both reach one socket on the host");
        assertEquals(
                Path.of("/run/vdisk-csi/fd-holder/holder.sock"), hostServed, "in the node plugin's state directory");
        assertEquals(
                served, dialed, "the same path in both containers (the state directory is mounted at its host path)");
    }

    @Test
    void holderTemplateDoesNotChangeWhenOnlyTheDriverChanges() {
        Helm helm = Helm.find();
        String before = template(helm.render());
        String driverUpgrade = template(helm.render(
                "--set",
                "image.tag=0.2.0",
                "--set",
                "image.repository=mirror.local/vdisk",
                "--set",
                "logLevel=debug",
                "--set",
                "node.maxVolumes=100",
                "--set",
                "node.resources.limits.memory=2Gi",
                "--set",
                "metrics.enabled=false"));
        assertEquals(before, driverUpgrade, "a driver upgrade leaves the holder's pod template as it was");
        assertNotEquals(
                before,
                template(helm.render("--set", "holder.image.tag=0.2.0")),
                "the holder's own image tag does change it (this comparison can fail)");
        // the node plugin's template does change with image.tag: it rolls, the holder does not
        assertNotEquals(
                Manifests.SERIALIZATION.asYaml(pod(helm.render(), NODE)),
                Manifests.SERIALIZATION.asYaml(pod(helm.render("--set", "image.tag=0.2.0"), NODE)));
    }

    @Test
    void holderIsRootWithoutPrivilegeCapabilitiesOrDevices() {
        PodSpec holder = pod(Helm.find().render(), HOLDER);
        assertEquals(1, holder.getContainers().size(), "only the holder in its pod");
        Container c = ChartWorkloadsTest.container(holder, "fd-holder");
        SecurityContext sc = c.getSecurityContext();
        assertEquals(
                0L, sc.getRunAsUser(), "the holder accepts peers of its own uid only, and the node plugin is root");
        assertEquals(Boolean.FALSE, sc.getPrivileged());
        assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
        assertTrue(
                sc.getCapabilities().getAdd() == null
                        || sc.getCapabilities().getAdd().isEmpty(),
                "adds none");
        assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem());
        assertFalse(Boolean.TRUE.equals(holder.getHostNetwork())
                || Boolean.TRUE.equals(holder.getHostPID())
                || Boolean.TRUE.equals(holder.getHostIPC()));
        assertEquals(Boolean.FALSE, holder.getAutomountServiceAccountToken(), "it calls no API");
        List<String> hostPaths = holder.getVolumes().stream()
                .filter(v -> v.getHostPath() != null)
                .map(v -> v.getHostPath().getPath())
                .toList();
        assertEquals(List.of("/run/vdisk-csi"), hostPaths, "the state directory only: no /dev, no kubelet directory");
        VolumeMount state = c.getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals("/run/vdisk-csi"))
                .findFirst()
                .orElseThrow();
        // the node plugin's FUSE mount under the state directory must leave this namespace when it is unmounted
        assertEquals("HostToContainer", state.getMountPropagation());
        assertNull(c.getLivenessProbe(), "a liveness kill would cost what a holder restart costs");
        assertTrue(
                c.getEnv().stream()
                        .anyMatch(e -> e.getName().equals("JAVA_TOOL_OPTIONS")
                                && e.getValue().contains("-Xmx")),
                "a small heap");
        assertEquals("160Mi", c.getResources().getLimits().get("memory").toString());
    }

    @Test
    void holderRunsWhereTheNodePluginRunsAndUpgradesOnlyWhenDeleted() {
        Manifests chart = Helm.find()
                .render(
                        "--set",
                        "node.nodeSelector.disk=fast",
                        "--set",
                        "node.tolerations[0].key=storage",
                        "--set",
                        "node.tolerations[0].operator=Exists");
        PodSpec holder = pod(chart, HOLDER);
        PodSpec node = pod(chart, NODE);
        assertEquals(node.getNodeSelector(), holder.getNodeSelector());
        assertEquals(node.getTolerations(), holder.getTolerations());
        assertEquals(node.getPriorityClassName(), holder.getPriorityClassName());
        assertEquals(
                "OnDelete",
                chart.one(DaemonSet.class, HOLDER).getSpec().getUpdateStrategy().getType());
        assertEquals(
                "RollingUpdate",
                Helm.find()
                        .render("--set", "holder.updateStrategy=RollingUpdate")
                        .one(DaemonSet.class, HOLDER)
                        .getSpec()
                        .getUpdateStrategy()
                        .getType());
    }

    @Test
    void withoutTheHolderTheNodePluginIsNotToldOfOne() {
        Manifests chart = Helm.find().render("--set", "holder.enabled=false");
        assertTrue(chart.all(DaemonSet.class).stream()
                .noneMatch(d -> d.getMetadata().getName().equals(HOLDER)));
        assertTrue(ChartWorkloadsTest.flag(ChartWorkloadsTest.container(pod(chart, NODE), "vdisk-csi"), "--fd-holder")
                .isEmpty());
    }

    private static PodSpec pod(Manifests chart, String daemonSet) {
        return chart.one(DaemonSet.class, daemonSet).getSpec().getTemplate().getSpec();
    }

    private static String template(Manifests chart) {
        return Manifests.SERIALIZATION.asYaml(
                chart.one(DaemonSet.class, HOLDER).getSpec().getTemplate());
    }

    /** Where {@code path} inside container {@code c} is on the host, through the hostPath volume that holds it. */
    private static Path hostPath(PodSpec pod, Container c, Path path) {
        VolumeMount mount = c.getVolumeMounts().stream()
                .filter(m -> path.startsWith(m.getMountPath()))
                .max((a, b) -> Integer.compare(
                        a.getMountPath().length(), b.getMountPath().length()))
                .orElseThrow(() -> new AssertionError(c.getName() + " mounts nothing holding " + path));
        Volume volume = pod.getVolumes().stream()
                .filter(v -> v.getName().equals(mount.getName()))
                .findFirst()
                .orElseThrow();
        assertTrue(volume.getHostPath() != null, mount.getName() + " is a host path");
        return Path.of(volume.getHostPath().getPath())
                .resolve(Path.of(mount.getMountPath()).relativize(path));
    }
}
