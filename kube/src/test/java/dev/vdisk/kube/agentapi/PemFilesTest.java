package dev.vdisk.kube.agentapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.node.testing.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key encodings the agent reads, as openssl writes them: PKCS#1 RSA (Helm's genSignedCert), PKCS#8 RSA
 * (cert-manager with encoding PKCS8) and PKCS#8 EC; and a key is told apart from another certificate's.
 */
class PemFilesTest {
    @TempDir
    Path dir;

    @Test
    void pkcs1AndPkcs8KeysAreReadAndMatchedToTheirCertificates() throws IOException {
        TestCertificates certs = new TestCertificates(dir);
        certs.ca("ca");
        ServingCertificate pkcs1 = certs.serving("pkcs1", "ca", "a.svc");
        assertTrue(Files.readString(pkcs1.keyFile()).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        PrivateKey rsa1 = PemFiles.privateKey(pkcs1.keyFile());
        X509Certificate cert1 = PemFiles.certificates(pkcs1.certFile()).getFirst();
        assertTrue(PemFiles.matches(rsa1, cert1));

        assertTrue(Files.readString(dir.resolve("ca.key")).startsWith("-----BEGIN PRIVATE KEY-----"));
        PrivateKey rsa8 = PemFiles.privateKey(dir.resolve("ca.key"));
        X509Certificate ca = PemFiles.certificates(dir.resolve("ca.crt")).getFirst();
        assertTrue(PemFiles.matches(rsa8, ca));
        assertFalse(PemFiles.matches(rsa8, cert1), "the CA's key is not the serving certificate's");
        assertFalse(PemFiles.matches(rsa1, ca));

        Path ec = dir.resolve("ec.key");
        Command.run(
                "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", ec.toString());
        assertEquals("EC", PemFiles.privateKey(ec).getAlgorithm());
        assertFalse(PemFiles.matches(PemFiles.privateKey(ec), cert1));
    }

    @Test
    void aMissingFileIsNamedInOneLineThatSaysWhatToCheck() {
        // was the bare NoSuchFileException, whose message is only the path
        IOException e = assertThrows(IOException.class, () -> PemFiles.certificates(dir.resolve("tls.crt")));
        assertEquals(
                dir.resolve("tls.crt") + " does not exist: is the agent API's TLS Secret mounted there?",
                e.getMessage());
    }

    @Test
    void aFileWithoutTheExpectedBlockSaysSo() throws IOException {
        Path junk = dir.resolve("junk.pem");
        Files.writeString(junk, "no PEM here\n");
        assertTrue(assertThrows(IOException.class, () -> PemFiles.certificates(junk))
                .getMessage()
                .endsWith("holds no PEM certificate"));
        assertTrue(assertThrows(IOException.class, () -> PemFiles.privateKey(junk))
                .getMessage()
                .endsWith("must hold exactly one PEM 'PRIVATE KEY' or 'RSA PRIVATE KEY'"));
    }
}
