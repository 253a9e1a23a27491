package dev.vdisk.kube.agentapi;

import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The controller's service-account token as the kubelet keeps it in a file (projected, rotated): read again for every
 * call, so a rotated token is used at once and never cached past its life.
 */
public record TokenFile(Path path) {

    /** Where Kubernetes mounts a pod's own service-account token. */
    public static final Path DEFAULT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    /** The token, or UNAVAILABLE (the caller retries) when the file cannot be read. */
    public String read() {
        try {
            String token = Files.readString(path).strip();
            if (token.isEmpty()) {
                throw Status.UNAVAILABLE
                        .withDescription("service-account token file " + path + " is empty")
                        .asRuntimeException();
            }
            return token;
        } catch (IOException e) {
            throw Status.UNAVAILABLE
                    .withDescription("cannot read the service-account token for the agent API from " + path + ": "
                            + e.getMessage())
                    .asRuntimeException();
        }
    }
}
