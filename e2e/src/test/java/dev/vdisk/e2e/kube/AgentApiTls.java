package dev.vdisk.e2e.kube;

import dev.vdisk.e2e.chart.Manifests;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;

/**
 * The agent API's certificates as the pods see them: the chart's generated Secret written out as the files its
 * volumes mount ({@code ca.crt}, {@code tls.crt}, {@code tls.key}), so that node agents serve TLS and controllers
 * verify it with the chart's own CA and server name.
 */
final class AgentApiTls {

    private AgentApiTls() {}

    static Path write(Manifests chart, Path dir) throws IOException {
        Secret secret = chart.all(Secret.class).stream()
                .filter(s -> s.getMetadata().getName().endsWith("agent-api-tls"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the chart renders no agent-api-tls Secret"));
        Files.createDirectories(
                dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        for (String key : List.of("ca.crt", "tls.crt", "tls.key")) {
            String data = secret.getData().get(key);
            if (data == null) {
                throw new IllegalStateException(
                        "the chart's Secret " + secret.getMetadata().getName() + " has no " + key);
            }
            Path file = dir.resolve(key);
            Files.write(file, Base64.getDecoder().decode(data));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        return dir;
    }
}
