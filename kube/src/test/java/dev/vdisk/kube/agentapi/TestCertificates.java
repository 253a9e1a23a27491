package dev.vdisk.kube.agentapi;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vdisk.node.testing.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Real certificates for TLS tests, made by {@code openssl} in a directory: CAs and serving certificates signed by
 * them, the serving keys PKCS#1 RSA as Helm's genSignedCert writes them. Without openssl the test is skipped, and
 * fails when CI=true.
 */
final class TestCertificates {
    private final Path dir;

    TestCertificates(Path dir) {
        this.dir = dir;
        if (Command.which("openssl") == null) {
            if ("true".equals(System.getenv("CI"))) {
                fail("openssl is needed to make the test certificates (CI=true)");
            }
            assumeTrue(false, "skipped: openssl is not installed, needed to make the test certificates");
        }
    }

    /** A self-signed CA named {@code name}: {@code name.crt}, {@code name.key}. */
    Path ca(String name) {
        Command.run(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-keyout",
                file(name + ".key"),
                "-out",
                file(name + ".crt"),
                "-subj",
                "/CN=" + name,
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign");
        return dir.resolve(name + ".crt");
    }

    /** A serving certificate for {@code dnsName} signed by CA {@code ca}: {@code name.crt}, {@code name.key}. */
    ServingCertificate serving(String name, String ca, String dnsName) throws IOException {
        Path ext = dir.resolve(name + ".ext");
        Files.writeString(
                ext,
                "subjectAltName=DNS:" + dnsName + "\nextendedKeyUsage=serverAuth\n" + "basicConstraints=CA:FALSE\n");
        Command.run("openssl", "genrsa", "-traditional", "-out", file(name + ".key"), "2048");
        Command.run(
                "openssl",
                "req",
                "-new",
                "-key",
                file(name + ".key"),
                "-subj",
                "/CN=" + dnsName,
                "-out",
                file(name + ".csr"));
        Command.run(
                "openssl",
                "x509",
                "-req",
                "-in",
                file(name + ".csr"),
                "-CA",
                file(ca + ".crt"),
                "-CAkey",
                file(ca + ".key"),
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                ext.toString(),
                "-out",
                file(name + ".crt"));
        return new ServingCertificate(dir.resolve(name + ".crt"), dir.resolve(name + ".key"));
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }
}
