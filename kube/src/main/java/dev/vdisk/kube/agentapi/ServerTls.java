package dev.vdisk.kube.agentapi;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import java.io.IOException;
import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent API's TLS server side: presents the {@link ServingCertificate}, read at start (a missing or mismatched
 * pair stops the start) and again every {@link #RELOAD} (the default), so a certificate that cert-manager renews in
 * the mounted Secret is served without a restart. A reload that fails keeps the previous pair and logs one line.
 */
final class ServerTls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    /** The kubelet refreshes a mounted Secret within about a minute; looking as often costs two small reads. */
    static final Duration RELOAD = Duration.ofMinutes(1);

    private final ServingCertificate files;
    private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    private final ScheduledExecutorService reloads;
    /** Serial of the certificate served; written by the reload thread only. */
    private volatile BigInteger serial;
    /** Whether the last reload failed, so that a lasting failure is logged once, not every minute. */
    private volatile boolean failing;

    private ServerTls(ServingCertificate files) {
        this.files = files;
        this.reloads = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("agent-api-tls").factory());
    }

    /** Reads the pair now and again every {@code reload}; IOException with a one-line reason when it cannot be used. */
    static ServerTls start(ServingCertificate files, Duration reload) throws IOException {
        ServerTls tls = new ServerTls(files);
        tls.load();
        tls.reloads.scheduleWithFixedDelay(tls::reload, reload.toMillis(), reload.toMillis(), TimeUnit.MILLISECONDS);
        return tls;
    }

    ServerCredentials credentials() {
        return TlsServerCredentials.newBuilder().keyManager(keys).build();
    }

    private void load() throws IOException {
        List<X509Certificate> chain = PemFiles.certificates(files.certFile());
        PrivateKey key = PemFiles.privateKey(files.keyFile());
        if (!PemFiles.matches(key, chain.getFirst())) {
            throw new IOException("the agent API's key " + files.keyFile() + " does not belong to the certificate "
                    + files.certFile());
        }
        keys.updateIdentityCredentials(chain.toArray(X509Certificate[]::new), key);
        BigInteger now = chain.getFirst().getSerialNumber();
        if (!now.equals(serial)) {
            LOG.info(
                    "agent API: serving certificate {} (serial {}, valid until {})",
                    chain.getFirst().getSubjectX500Principal().getName(),
                    now.toString(16),
                    chain.getFirst().getNotAfter().toInstant());
            serial = now;
        }
    }

    private void reload() {
        try {
            load();
            failing = false;
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                LOG.warn(
                        "agent API: cannot reload the serving certificate, still serving the previous one: {}",
                        e.getMessage());
            }
            failing = true;
        }
    }

    @Override
    public void close() {
        reloads.shutdownNow();
    }
}
