package dev.vdisk.e2e.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway keys for one test cluster, made with openssl: a CA, the API server's serving certificate for
 * 127.0.0.1 signed by it, and the RSA key that signs and checks service-account tokens.
 */
record Pki(Path caCert, Path caKey, Path serverCert, Path serverKey, Path serviceAccountKey, Path serviceAccountPub) {

    static Pki create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Pki pki = new Pki(dir.resolve("ca.crt"), dir.resolve("ca.key"), dir.resolve("server.crt"),
                dir.resolve("server.key"), dir.resolve("sa.key"), dir.resolve("sa.pub"));
        Path csr = dir.resolve("server.csr");
        Path ext = dir.resolve("server.ext");
        Files.writeString(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", pki.caKey.toString(), "-out", pki.caCert.toString(), "-days", "2", "-subj", "/CN=vdisk-e2e-ca");
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", pki.serverKey.toString(), "-out", csr.toString(), "-subj", "/CN=127.0.0.1");
        openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", pki.caCert.toString(), "-CAkey", pki.caKey.toString(),
                "-CAcreateserial", "-out", pki.serverCert.toString(), "-days", "2", "-extfile", ext.toString());
        openssl(dir, "genrsa", "-out", pki.serviceAccountKey.toString(), "2048");
        openssl(dir, "rsa", "-in", pki.serviceAccountKey.toString(), "-pubout", "-out", pki.serviceAccountPub.toString());
        return pki;
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Path out = dir.resolve("openssl.log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("openssl " + String.join(" ", args) + " failed:\n" + Files.readString(out));
        }
    }
}
