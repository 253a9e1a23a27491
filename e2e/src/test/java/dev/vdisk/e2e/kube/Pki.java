package dev.vdisk.e2e.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway keys for one test cluster, made with openssl: a CA, the API server's serving certificate for
 * 127.0.0.1 (and 10.96.0.1, the {@code kubernetes} Service address pods of a {@link RealNode} use) signed by it, the
 * RSA key that signs and checks service-account tokens, and client certificates (a kubelet's node identity).
 */
record Pki(Path caCert, Path caKey, Path serverCert, Path serverKey, Path serviceAccountKey, Path serviceAccountPub) {

    static Pki create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Pki pki = new Pki(
                dir.resolve("ca.crt"),
                dir.resolve("ca.key"),
                dir.resolve("server.crt"),
                dir.resolve("server.key"),
                dir.resolve("sa.key"),
                dir.resolve("sa.pub"));
        Path csr = dir.resolve("server.csr");
        Path ext = dir.resolve("server.ext");
        Files.writeString(
                ext,
                "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n");
        openssl(
                dir,
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                pki.caKey.toString(),
                "-out",
                pki.caCert.toString(),
                "-days",
                "2",
                "-subj",
                "/CN=vdisk-e2e-ca");
        openssl(
                dir,
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                pki.serverKey.toString(),
                "-out",
                csr.toString(),
                "-subj",
                "/CN=127.0.0.1");
        openssl(
                dir,
                "x509",
                "-req",
                "-in",
                csr.toString(),
                "-CA",
                pki.caCert.toString(),
                "-CAkey",
                pki.caKey.toString(),
                "-CAcreateserial",
                "-out",
                pki.serverCert.toString(),
                "-days",
                "2",
                "-extfile",
                ext.toString());
        openssl(dir, "genrsa", "-out", pki.serviceAccountKey.toString(), "2048");
        openssl(
                dir,
                "rsa",
                "-in",
                pki.serviceAccountKey.toString(),
                "-pubout",
                "-out",
                pki.serviceAccountPub.toString());
        return pki;
    }

    /** A client certificate signed by the CA: {@code cn} is the user, {@code org} its group. Returns cert, key. */
    List<Path> clientCert(String name, String cn, String org) throws IOException, InterruptedException {
        Path dir = caCert.getParent();
        Path cert = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        Path csr = dir.resolve(name + ".csr");
        Path ext = dir.resolve(name + ".ext");
        Files.writeString(ext, "extendedKeyUsage=clientAuth\n");
        openssl(
                dir,
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                csr.toString(),
                "-subj",
                "/O=" + org + "/CN=" + cn);
        openssl(
                dir,
                "x509",
                "-req",
                "-in",
                csr.toString(),
                "-CA",
                caCert.toString(),
                "-CAkey",
                caKey.toString(),
                "-CAcreateserial",
                "-out",
                cert.toString(),
                "-days",
                "2",
                "-extfile",
                ext.toString());
        return List.of(cert, key);
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Path out = dir.resolve("openssl.log");
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("openssl " + String.join(" ", args) + " failed:\n" + Files.readString(out));
        }
    }
}
