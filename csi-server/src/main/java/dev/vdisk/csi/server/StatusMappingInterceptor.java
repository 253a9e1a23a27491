package dev.vdisk.csi.server;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@link StatusMapper} to every call, so that service code just throws.
 *
 * <p>Two ways an exception leaves a service: it is thrown out of the handler (grpc-java would report it as
 * UNKNOWN "Application error processing RPC"), or it is passed to {@code responseObserver.onError}
 * (grpc-java wraps it as UNKNOWN with the exception as cause). Both are caught here and mapped.
 *
 * <p>Public for servers other than {@link CsiServer} (the node agent's internal TCP API), so they map alike.
 */
public final class StatusMappingInterceptor implements ServerInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(StatusMappingInterceptor.class);

    private final StatusMapper mapper;

    public StatusMappingInterceptor(StatusMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        MappingCall<ReqT, RespT> mappingCall = new MappingCall<>(call);
        ServerCall.Listener<ReqT> delegate;
        try {
            delegate = next.startCall(mappingCall, headers);
        } catch (RuntimeException e) {
            mappingCall.fail(e);
            return new ServerCall.Listener<>() {};
        }
        return new SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onMessage(ReqT message) {
                guard(() -> super.onMessage(message));
            }

            @Override
            public void onHalfClose() {
                guard(super::onHalfClose);
            }

            @Override
            public void onReady() {
                guard(super::onReady);
            }

            private void guard(Runnable step) {
                try {
                    step.run();
                } catch (RuntimeException e) {
                    mappingCall.fail(e);
                }
            }
        };
    }

    /** Remaps UNKNOWN-with-cause statuses and closes at most once. */
    private final class MappingCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT> {
        private final AtomicBoolean closed = new AtomicBoolean();

        MappingCall(ServerCall<ReqT, RespT> delegate) {
            super(delegate);
        }

        void fail(Throwable error) {
            close(mapper.toStatus(error), new Metadata());
        }

        @Override
        public void close(Status status, Metadata trailers) {
            if (!closed.compareAndSet(false, true)) {
                LOG.debug("call already closed; dropping second status {}", status.getCode());
                return;
            }
            Status mapped = status.getCode() == Status.Code.UNKNOWN && status.getCause() != null
                    ? mapper.toStatus(status.getCause())
                    : status;
            super.close(mapped, trailers);
        }
    }
}
