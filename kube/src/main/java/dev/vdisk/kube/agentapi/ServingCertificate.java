package dev.vdisk.kube.agentapi;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The node agent's TLS identity for its internal API: PEM certificate (chain, leaf first) and private key files, as
 * a mounted {@code kubernetes.io/tls} Secret holds them ({@code tls.crt}, {@code tls.key}).
 */
public record ServingCertificate(Path certFile, Path keyFile) {
    public ServingCertificate {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
    }
}
