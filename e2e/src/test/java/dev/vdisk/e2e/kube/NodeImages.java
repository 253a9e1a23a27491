package dev.vdisk.e2e.kube;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The images the real node runs, made without a registry: each sidecar is its static binary from the assets alone
 * in an image ({@code buildah from scratch}), the pause image is Debian's static {@code catatonit}, and the driver's
 * is the one {@code bin/vdisk-image} left in podman's storage. Each is written as a docker-archive (names kept) and
 * imported into containerd; the names are those the chart's values pin.
 */
final class NodeImages {

    /** Image name -> the assets binary it wraps; the versions are the binaries' (KUBE README). */
    static final Map<String, String> SIDECARS = sidecars();

    private NodeImages() {}

    private static Map<String, String> sidecars() {
        Map<String, String> images = new LinkedHashMap<>();
        images.put("registry.k8s.io/sig-storage/csi-provisioner:v3.4.1", "csi-provisioner");
        images.put("registry.k8s.io/sig-storage/csi-snapshotter:v6.2.2", "csi-snapshotter");
        images.put("registry.k8s.io/sig-storage/csi-resizer:v1.7.0", "csi-resizer");
        images.put("registry.k8s.io/sig-storage/livenessprobe:v2.9.0", "livenessprobe");
        images.put("registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.7.0", "csi-node-driver-registrar");
        return Map.copyOf(images);
    }

    /** The chart's {@code --set} values that pin these sidecar images. */
    static List<String> chartValues() {
        return List.of(
                "sidecars.provisioner.image=registry.k8s.io/sig-storage/csi-provisioner:v3.4.1",
                "sidecars.snapshotter.image=registry.k8s.io/sig-storage/csi-snapshotter:v6.2.2",
                "sidecars.resizer.image=registry.k8s.io/sig-storage/csi-resizer:v1.7.0",
                "sidecars.livenessProbe.image=registry.k8s.io/sig-storage/livenessprobe:v2.9.0",
                "sidecars.nodeDriverRegistrar.image=registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.7.0");
    }

    /** Builds (sidecars, pause) or exports (the driver) every image into {@code dir} and imports it. */
    static void load(Containerd containerd, KubeAssets assets, String driverImage, Path dir) throws Exception {
        Files.createDirectories(dir);
        List<Path> archives = new ArrayList<>();
        for (Map.Entry<String, String> sidecar : SIDECARS.entrySet()) {
            archives.add(wrap(dir, sidecar.getKey(), assets.binary(sidecar.getValue()), List.of()));
        }
        archives.add(wrap(dir, Containerd.PAUSE_IMAGE, Path.of("/usr/bin/catatonit"), List.of("-P")));
        Path driver = dir.resolve("driver.tar");
        Files.deleteIfExists(driver);
        HostCommand.run("podman", "save", "--format", "docker-archive", "-o", driver.toString(), driverImage);
        archives.add(driver);
        for (Path archive : archives) {
            containerd.importImage(archive);
            Files.delete(archive);
        }
    }

    /** An image holding only {@code binary} as its entrypoint, as a docker-archive named {@code name}. */
    private static Path wrap(Path dir, String name, Path binary, List<String> args) {
        String file = binary.getFileName().toString();
        Path archive = dir.resolve(file + ".tar");
        String container = HostCommand.run("buildah", "from", "scratch").strip();
        try {
            HostCommand.run("buildah", "copy", container, binary.toString(), "/" + file);
            List<String> entrypoint = new ArrayList<>(List.of("/" + file));
            entrypoint.addAll(args);
            String json = "["
                    + String.join(
                            ",", entrypoint.stream().map(a -> "\"" + a + "\"").toList()) + "]";
            HostCommand.run("buildah", "config", "--entrypoint", json, container);
            HostCommand.run("buildah", "commit", "-q", container, "docker-archive:" + archive + ":" + name);
        } finally {
            HostCommand.quietly("buildah", "rm", container);
        }
        return archive;
    }
}
