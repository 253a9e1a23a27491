package dev.vdisk.kube.agentapi;

import dev.vdisk.csi.server.RefusalWarnings;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a call in only with {@code authorization: Bearer <token>} of the one allowed service account: no or a rejected
 * token is UNAUTHENTICATED, another account's is PERMISSION_DENIED, and when the token cannot be checked now (API
 * server unreachable, too many reviews at once) the call is UNAVAILABLE (the caller retries): never served unchecked.
 * Runs on the server's call executor (virtual threads), so waiting for TokenReview blocks no transport thread.
 */
public final class BearerTokenInterceptor implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(BearerTokenInterceptor.class);

    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "Bearer ";

    /** Refusals are warned about at most this often; the others go to debug and are counted in the next warning. */
    static final Duration WARN_EVERY = Duration.ofSeconds(10);

    private final TokenReviewAuthenticator authenticator;
    private final ServiceAccountName allowed;
    /** Accounts admitted to one service only (the node plugin's, to the replication service), by service name. */
    private final Map<String, ServiceAccountName> allowedPerService;

    private final RefusalWarnings quietRefusals = new RefusalWarnings(WARN_EVERY, System.nanoTime());

    public BearerTokenInterceptor(TokenReviewAuthenticator authenticator, ServiceAccountName allowed) {
        this(authenticator, allowed, Map.of());
    }

    /** Also admits {@code allowedPerService}'s account to the calls of that service (and to nothing else). */
    public BearerTokenInterceptor(
            TokenReviewAuthenticator authenticator,
            ServiceAccountName allowed,
            Map<String, ServiceAccountName> allowedPerService) {
        this.authenticator = authenticator;
        this.allowed = allowed;
        this.allowedPerService = Map.copyOf(allowedPerService);
    }

    /** Admits the node plugin's account to the replication service: agents pull replicas from each other. */
    public BearerTokenInterceptor withReplicationFrom(ServiceAccountName nodeAccount) {
        return new BearerTokenInterceptor(authenticator, allowed, Map.of(ReplicaWire.SERVICE, nodeAccount));
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        Object peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String header = headers.get(AUTHORIZATION);
        if (header == null
                || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())
                || header.substring(BEARER.length()).isBlank()) {
            return refuse(
                    call,
                    Status.UNAUTHENTICATED.withDescription("the agent API needs an authorization: Bearer"
                            + " header with a service-account token of " + allowed),
                    method,
                    peer);
        }
        TokenReviewAuthenticator.Review review;
        try {
            review = authenticator.review(header.substring(BEARER.length()).strip());
        } catch (TokenReviewAuthenticator.Unavailable e) {
            return refuse(call, Status.UNAVAILABLE.withDescription(e.getMessage()), method, peer);
        }
        if (!review.authenticated()) {
            return refuse(
                    call, Status.UNAUTHENTICATED.withDescription("token rejected: " + review.error()), method, peer);
        }
        ServiceAccountName forService =
                allowedPerService.get(call.getMethodDescriptor().getServiceName());
        if (!review.username().equals(allowed.username())
                && (forService == null || !review.username().equals(forService.username()))) {
            return refuse(
                    call,
                    Status.PERMISSION_DENIED.withDescription(review.username() + " may not call the agent"
                            + " API; only " + allowed.username() + " may"),
                    method,
                    peer);
        }
        return next.startCall(call, headers);
    }

    private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status, String method, Object peer) {
        long quiet = quietRefusals.warnNow(System.nanoTime());
        if (quiet >= 0) {
            LOG.warn(
                    "agent API call {} from {} refused: {} {}{}",
                    method,
                    peer,
                    status.getCode(),
                    status.getDescription(),
                    quietRefusals.held(quiet));
        } else {
            LOG.debug(
                    "agent API call {} from {} refused: {} {}",
                    method,
                    peer,
                    status.getCode(),
                    status.getDescription());
        }
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {};
    }
}
