package dev.vdisk.kube.agentapi;

import dev.vdisk.api.agent.ReplicaSourceApi;
import dev.vdisk.controller.metadata.OffsetOutOfRangeException;
import dev.vdisk.controller.metadata.SnapshotMetadataService;
import dev.vdisk.controller.metadata.SnapshotStreams;
import dev.vdisk.csi.server.ErrorTranslation;
import dev.vdisk.csi.server.StatusMapper;
import dev.vdisk.csi.server.StatusMappingInterceptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's internal API on TCP: the CSI SnapshotMetadata service over this node's pool (the controller
 * proxies the sidecar's streams here). Every call passes {@link BearerTokenInterceptor} first (outermost), then the
 * same status mapping as the CSI socket; each call runs on its own virtual thread. The controller's token travels in
 * each call, so the API is served over TLS ({@link ServingCertificate}); without a certificate it is served in
 * plaintext on a loopback address only (tests, one-machine setups) and refuses to start on any other.
 */
public final class AgentApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentApiServer.class);

    private final Server server;
    private final ExecutorService executor;
    private final ServerTls tls;

    private AgentApiServer(Server server, ExecutorService executor, ServerTls tls) {
        this.server = server;
        this.executor = executor;
        this.tls = tls;
    }

    /**
     * Binds {@code listen} and serves; {@code auth} is required (there is no unauthenticated variant).
     *
     * @param pool        this node's snapshots and their extent streams
     * @param certificate the TLS identity; null only for a loopback {@code listen}
     * @throws IllegalArgumentException when {@code certificate} is null and {@code listen} is not loopback
     * @throws IOException              when the certificate cannot be read or the address not bound
     */
    public static AgentApiServer start(
            InetSocketAddress listen, SnapshotStreams pool, BearerTokenInterceptor auth, ServingCertificate certificate)
            throws IOException {
        return start(listen, pool, auth, certificate, ServerTls.RELOAD);
    }

    /** {@link #start} with the certificate re-read every {@code reload} (tests). */
    static AgentApiServer start(
            InetSocketAddress listen,
            SnapshotStreams pool,
            BearerTokenInterceptor auth,
            ServingCertificate certificate,
            Duration reload)
            throws IOException {
        return start(listen, pool, null, auth, certificate, reload);
    }

    /**
     * {@link #start} also serving this node's snapshots to agents that pull replicas ({@code replicas}; null: not
     * served). {@code auth} decides who may pull ({@link BearerTokenInterceptor#withReplicationFrom}).
     */
    public static AgentApiServer start(
            InetSocketAddress listen,
            SnapshotStreams pool,
            ReplicaSourceApi replicas,
            BearerTokenInterceptor auth,
            ServingCertificate certificate)
            throws IOException {
        return start(listen, pool, replicas, auth, certificate, ServerTls.RELOAD);
    }

    static AgentApiServer start(
            InetSocketAddress listen,
            SnapshotStreams pool,
            ReplicaSourceApi replicas,
            BearerTokenInterceptor auth,
            ServingCertificate certificate,
            Duration reload)
            throws IOException {
        Objects.requireNonNull(auth, "the agent API never serves without authentication");
        if (certificate == null
                && (listen.getAddress() == null || !listen.getAddress().isLoopbackAddress())) {
            throw new IllegalArgumentException("the agent API carries the controller's token: on " + listen
                    + " it needs a TLS certificate and key (plaintext is served on loopback addresses only)");
        }
        StatusMapper mapper = new StatusMapper()
                .register(ErrorTranslation.of(OffsetOutOfRangeException.class, Status.Code.OUT_OF_RANGE));
        ServerTls tls = certificate == null ? null : ServerTls.start(certificate, reload);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        NettyServerBuilder builder = (tls == null
                        ? NettyServerBuilder.forAddress(listen)
                        : NettyServerBuilder.forAddress(listen, tls.credentials()))
                .executor(executor)
                .addService(new SnapshotMetadataService(pool));
        if (replicas != null) {
            builder.addService(ReplicaSourceService.of(replicas));
        }
        Server server = builder
                // interceptors added later run first: authentication before anything else
                .intercept(new StatusMappingInterceptor(mapper))
                .intercept(auth)
                .build();
        try {
            server.start();
        } catch (IOException | RuntimeException e) {
            server.shutdownNow();
            executor.shutdownNow();
            if (tls != null) {
                tls.close();
            }
            throw new IOException("cannot listen for the agent API on " + listen + ": " + e.getMessage(), e);
        }
        LOG.info(
                "agent API (SnapshotMetadata{}, token-reviewed, {}) listening on {}",
                replicas == null ? "" : ", ReplicaSource",
                tls == null ? "plaintext on loopback" : "TLS",
                server.getListenSockets());
        return new AgentApiServer(server, executor, tls);
    }

    /** The bound port (the one asked for, or the free one chosen for port 0). */
    public int port() {
        return ((InetSocketAddress) server.getListenSockets().getFirst()).getPort();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            executor.shutdown();
            if (tls != null) {
                tls.close();
            }
        }
        LOG.info("agent API stopped");
    }
}
