package dev.vdisk.kube.agentapi;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Certificates and a private key from PEM files as Kubernetes TLS Secrets hold them. Keys come as PKCS#8
 * ({@code PRIVATE KEY}: cert-manager with {@code encoding: PKCS8}, openssl) or PKCS#1 RSA ({@code RSA PRIVATE KEY}:
 * what Helm's genCA and genSignedCert write), which the JDK cannot read by itself and which is wrapped into PKCS#8
 * here.
 */
final class PemFiles {
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    /** DER of AlgorithmIdentifier {rsaEncryption, NULL}, what PKCS#8 puts before an RSA key. */
    private static final byte[] RSA_ALGORITHM = HexFormat.of().parseHex("300d06092a864886f70d0101010500");

    private PemFiles() {}

    /** The certificate chain in {@code file}, the leaf first. */
    static List<X509Certificate> certificates(Path file) throws IOException {
        List<byte[]> ders = blocks(file, "CERTIFICATE");
        if (ders.isEmpty()) {
            throw new IOException(file + " holds no PEM certificate");
        }
        try {
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            List<X509Certificate> chain = new ArrayList<>();
            for (byte[] der : ders) {
                chain.add((X509Certificate) x509.generateCertificate(new ByteArrayInputStream(der)));
            }
            return chain;
        } catch (CertificateException e) {
            throw new IOException(file + " holds a certificate that cannot be read: " + e.getMessage(), e);
        }
    }

    /** The private key in {@code file} (PKCS#8 RSA or EC, or PKCS#1 RSA). */
    static PrivateKey privateKey(Path file) throws IOException {
        List<byte[]> pkcs8 = blocks(file, "PRIVATE KEY");
        List<byte[]> pkcs1 = blocks(file, "RSA PRIVATE KEY");
        if (pkcs8.size() + pkcs1.size() != 1) {
            throw new IOException(file + " must hold exactly one PEM 'PRIVATE KEY' or 'RSA PRIVATE KEY'");
        }
        byte[] der = pkcs8.isEmpty() ? rsaPkcs8(pkcs1.getFirst()) : pkcs8.getFirst();
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IOException(file + " holds a private key that is neither RSA, EC nor Ed25519");
    }

    /** Whether {@code key} belongs to {@code certificate}: a signature made with one verifies with the other. */
    static boolean matches(PrivateKey key, X509Certificate certificate) {
        String algorithm =
                switch (key.getAlgorithm()) {
                    case "RSA" -> "SHA256withRSA";
                    case "EC" -> "SHA256withECDSA";
                    default -> key.getAlgorithm();
                };
        byte[] probe = "vdisk-csi agent API".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(certificate.getPublicKey());
            verify.update(probe);
            return verify.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static List<byte[]> blocks(Path file, String type) throws IOException {
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new IOException(file + " does not exist: is the agent API's TLS Secret mounted there?", e);
        }
        List<byte[]> found = new ArrayList<>();
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            if (m.group(1).equals(type)) {
                try {
                    found.add(Base64.getMimeDecoder().decode(m.group(2)));
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + " holds a " + type + " block that is not base64", e);
                }
            }
        }
        return found;
    }

    /** PrivateKeyInfo {version 0, rsaEncryption, OCTET STRING pkcs1}, in DER. */
    private static byte[] rsaPkcs8(byte[] pkcs1) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(RSA_ALGORITHM);
        body.writeBytes(tagged(0x04, pkcs1));
        return tagged(0x30, body.toByteArray());
    }

    private static byte[] tagged(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = (Integer.SIZE - Integer.numberOfLeadingZeros(n) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
