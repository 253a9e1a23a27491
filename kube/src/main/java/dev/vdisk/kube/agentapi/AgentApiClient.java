package dev.vdisk.kube.agentapi;

import csi.v1.BlockMetadata;
import csi.v1.GetMetadataAllocatedRequest;
import csi.v1.GetMetadataDeltaRequest;
import csi.v1.SnapshotMetadataGrpc;
import dev.vdisk.api.agent.BlockExtent;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's side of the node agents' internal API: the CSI SnapshotMetadata streams of a node's pool, asked
 * of the agent at its published address with the controller's service-account token as bearer (the agent lets in
 * nothing else). One channel per agent address, kept until {@link #close}. The remote stream is consumed as the
 * caller iterates (gRPC flow control), and it runs in the caller's gRPC context, so a CSI client that cancels its
 * stream cancels the remote one too. Remote errors arrive with the node's status code, which the CSI layer passes on.
 *
 * <p>With an {@link AgentTrust} every channel is TLS, the agent's certificate checked against the CA and the fixed
 * server name (not the IP dialled). Without one the token would travel in plaintext, so only loopback addresses are
 * dialled (tests, one-machine setups); any other address fails with UNAVAILABLE and says what to configure.
 */
public final class AgentApiClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentApiClient.class);

    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final TokenFile token;
    private final AgentTrust trust;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    /** A client that dials agents in plaintext, on loopback addresses only. */
    public AgentApiClient(TokenFile token) {
        this(token, null);
    }

    /** {@code trust} null: plaintext, on loopback addresses only. */
    public AgentApiClient(TokenFile token, AgentTrust trust) {
        this.token = token;
        this.trust = trust;
    }

    /** The snapshot's extents from {@code startOffset}, kind ALLOCATED. */
    public Iterator<BlockExtent> allocated(String address, String snapshotId, long startOffset) {
        ManagedChannel channel = channel(address);
        var responses = stub(channel)
                .getMetadataAllocated(GetMetadataAllocatedRequest.newBuilder()
                        .setSnapshotId(snapshotId)
                        .setStartingOffset(startOffset)
                        .build());
        return new Extents<>(
                responses, r -> r.getBlockMetadataList(), BlockExtent.Kind.ALLOCATED, () -> forget(address, channel));
    }

    /** The extents changed from base to target from {@code startOffset}, kind CHANGED (the wire has no other kind). */
    public Iterator<BlockExtent> delta(
            String address, String baseSnapshotId, String targetSnapshotId, long startOffset) {
        ManagedChannel channel = channel(address);
        var responses = stub(channel)
                .getMetadataDelta(GetMetadataDeltaRequest.newBuilder()
                        .setBaseSnapshotId(baseSnapshotId)
                        .setTargetSnapshotId(targetSnapshotId)
                        .setStartingOffset(startOffset)
                        .build());
        return new Extents<>(
                responses, r -> r.getBlockMetadataList(), BlockExtent.Kind.CHANGED, () -> forget(address, channel));
    }

    /** The channel to the agent at {@code address} and this client's token, for other services of the agent API. */
    ManagedChannel channelFor(String address) {
        return channel(address);
    }

    CallCredentials bearer() {
        return new Bearer(token);
    }

    private ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, this::connect);
    }

    private SnapshotMetadataGrpc.SnapshotMetadataBlockingStub stub(ManagedChannel channel) {
        return SnapshotMetadataGrpc.newBlockingStub(channel).withCallCredentials(new Bearer(token));
    }

    /**
     * Drops a channel whose call found the agent UNAVAILABLE: the next call dials again and reads the CA again, so a
     * CA replaced in the mounted Secret (a re-generated chart Secret) is picked up without a restart.
     */
    private void forget(String address, ManagedChannel channel) {
        if (channels.remove(address, channel)) {
            channel.shutdown();
        }
    }

    private ManagedChannel connect(String address) {
        if (trust == null) {
            if (!loopback(address)) {
                throw Status.UNAVAILABLE
                        .withDescription("the agent at " + address + " is not on this machine and no"
                                + " CA is configured for the agent API (--agent-ca-file): the controller's token is never sent"
                                + " in plaintext over the network")
                        .asRuntimeException();
            }
            LOG.info("agent API: connecting to {} (plaintext, loopback)", address);
            return NettyChannelBuilder.forTarget(address).usePlaintext().build();
        }
        try {
            LOG.info("agent API: connecting to {} (TLS, expecting {})", address, trust.serverName());
            return NettyChannelBuilder.forTarget(address, trust.credentials())
                    .overrideAuthority(trust.serverName())
                    .build();
        } catch (IOException e) {
            throw Status.UNAVAILABLE
                    .withDescription("cannot read the agent API's CA " + trust.caFile() + ": " + e.getMessage())
                    .asRuntimeException();
        }
    }

    /** Whether {@code host:port} names this machine by a loopback literal or {@code localhost}. */
    static boolean loopback(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? address : address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.equals("localhost")) {
            return true;
        }
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false; // a name: not resolved here, so never loopback by a DNS answer
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdown);
        for (ManagedChannel c : channels.values()) {
            try {
                if (!c.awaitTermination(5, TimeUnit.SECONDS)) {
                    c.shutdownNow();
                }
            } catch (InterruptedException e) {
                c.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        channels.clear();
    }

    /** {@code authorization: Bearer <token>}, the token read from its file for each call. */
    private static final class Bearer extends CallCredentials {
        private final TokenFile token;

        Bearer(TokenFile token) {
            this.token = token;
        }

        @Override
        public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
            try {
                Metadata headers = new Metadata();
                headers.put(AUTHORIZATION, "Bearer " + token.read());
                applier.apply(headers);
            } catch (StatusRuntimeException e) {
                applier.fail(e.getStatus());
            }
        }
    }

    /** The extents of a stream of responses, one response's tuples after the other. */
    private static final class Extents<R> implements Iterator<BlockExtent> {
        private final Iterator<R> responses;
        private final Function<R, List<BlockMetadata>> tuples;
        private final BlockExtent.Kind kind;
        private final Runnable onUnavailable;
        private Iterator<BlockMetadata> current = Collections.emptyIterator();

        Extents(
                Iterator<R> responses,
                Function<R, List<BlockMetadata>> tuples,
                BlockExtent.Kind kind,
                Runnable onUnavailable) {
            this.responses = responses;
            this.tuples = tuples;
            this.kind = kind;
            this.onUnavailable = onUnavailable;
        }

        @Override
        public boolean hasNext() {
            try {
                while (!current.hasNext() && responses.hasNext()) {
                    current = tuples.apply(responses.next()).iterator();
                }
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                    onUnavailable.run();
                }
                throw e;
            }
            return current.hasNext();
        }

        @Override
        public BlockExtent next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            BlockMetadata m = current.next();
            return new BlockExtent(m.getByteOffset(), m.getSizeBytes(), kind);
        }
    }
}
