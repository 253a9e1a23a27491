package dev.vdisk.csi.server;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import csi.v1.Csi;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.HexFormat;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One log line per call, written when the call closes:
 * {@code csi.v1.Controller/CreateVolume rid=3f09a1c2 volume_id=pvc-1 -> OK 12 ms}.
 *
 * <p>It never logs a request as a whole: the CSI messages carry secrets (fields with the {@code csi_secret}
 * option) and mount flags. It picks out only the top-level identifier fields ({@code *_id} / {@code *_ids}:
 * volume_id, snapshot_id, source_volume_id, base_snapshot_id, node_id, ...) through the protobuf descriptors,
 * and skips any field marked {@code csi_secret} even if it were named like an identifier.
 *
 * <p>The request id comes from the {@code x-request-id} header when a client sends one (the CSI sidecars do
 * not), else it is generated; it is in the gRPC {@link Context} ({@link #REQUEST_ID}) and in the logging MDC
 * ({@code rid}) while the service runs, so the service's own log lines can carry it.
 */
final class CallLoggingInterceptor implements ServerInterceptor {

    static final Metadata.Key<String> REQUEST_ID_HEADER =
            Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> REQUEST_ID = Context.key("vdisk-request-id");
    static final String MDC_KEY = "rid";

    private static final Logger LOG = LoggerFactory.getLogger(CallLoggingInterceptor.class);

    /** Liveness probes call Probe every few seconds; their successes are not worth a line at info. */
    private static final String PROBE = "csi.v1.Identity/Probe";

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        String requestId = requestId(headers);
        long start = System.nanoTime();
        String method = call.getMethodDescriptor().getFullMethodName();
        LoggingCall<ReqT, RespT> loggingCall = new LoggingCall<>(call, method, requestId, start);
        Context context = Context.current().withValue(REQUEST_ID, requestId);
        ServerCall.Listener<ReqT> delegate = Contexts.interceptCall(context, loggingCall, headers, next);
        return new SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onMessage(ReqT message) {
                if (message instanceof Message request) {
                    loggingCall.ids = identifiers(request);
                }
                withMdc(() -> super.onMessage(message));
            }

            @Override
            public void onHalfClose() {
                withMdc(super::onHalfClose);
            }

            private void withMdc(Runnable step) {
                MDC.put(MDC_KEY, requestId);
                try {
                    step.run();
                } finally {
                    MDC.remove(MDC_KEY);
                }
            }
        };
    }

    private static String requestId(Metadata headers) {
        String sent = headers.get(REQUEST_ID_HEADER);
        if (sent != null && !sent.isBlank() && sent.length() <= 64) {
            return sent;
        }
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }

    /** {@code name=value} for each non-empty, non-secret top-level identifier field, e.g. {@code volume_id=pvc-1}. */
    static String identifiers(Message request) {
        StringJoiner out = new StringJoiner(" ");
        for (FieldDescriptor field : request.getDescriptorForType().getFields()) {
            if (!isIdentifier(field)) {
                continue;
            }
            if (field.isRepeated()) {
                List<?> values = (List<?>) request.getField(field);
                if (!values.isEmpty()) {
                    out.add(field.getName() + "="
                            + String.join(
                                    ",", values.stream().map(String::valueOf).toList()));
                }
            } else if (!((String) request.getField(field)).isEmpty()) {
                out.add(field.getName() + "=" + request.getField(field));
            }
        }
        return out.toString();
    }

    private static boolean isIdentifier(FieldDescriptor field) {
        return field.getJavaType() == FieldDescriptor.JavaType.STRING
                && !field.isMapField()
                && (field.getName().endsWith("_id") || field.getName().endsWith("_ids"))
                && !field.getOptions().getExtension(Csi.csiSecret);
    }

    private static final class LoggingCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT> {
        private final String method;
        private final String requestId;
        private final long start;
        /** Set by the listener before the service runs, read at close; both happen-before via the call's serialization. */
        private volatile String ids = "";

        LoggingCall(ServerCall<ReqT, RespT> delegate, String method, String requestId, long start) {
            super(delegate);
            this.method = method;
            this.requestId = requestId;
            this.start = start;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            long millis = (System.nanoTime() - start) / 1_000_000;
            String idPart = ids.isEmpty() ? "" : " " + ids;
            if (status.isOk()) {
                if (method.equals(PROBE)) {
                    LOG.debug("{} rid={}{} -> OK {} ms", method, requestId, idPart, millis);
                } else {
                    LOG.info("{} rid={}{} -> OK {} ms", method, requestId, idPart, millis);
                }
            } else if (status.getCode() == Status.Code.INTERNAL || status.getCode() == Status.Code.UNKNOWN) {
                // a bug or an unexpected failure: the stack trace is the useful part
                LOG.warn(
                        "{} rid={}{} -> {} {} ms: {}",
                        method,
                        requestId,
                        idPart,
                        status.getCode(),
                        millis,
                        status.getDescription(),
                        status.getCause());
            } else {
                // an answer the spec defines (NOT_FOUND, INVALID_ARGUMENT, ...): the description says it all
                LOG.warn(
                        "{} rid={}{} -> {} {} ms: {}",
                        method,
                        requestId,
                        idPart,
                        status.getCode(),
                        millis,
                        status.getDescription());
            }
            super.close(status, trailers);
        }
    }
}
