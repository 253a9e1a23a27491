package dev.vdisk.csi.server.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Times every CSI call: {@code vdisk_csi_calls_seconds{method, code}} (a histogram; {@code method} is the full gRPC
 * name, e.g. {@code csi.v1.Node/NodeStageVolume}, {@code code} the final gRPC status code) and
 * {@code vdisk_csi_calls_in_flight}.
 *
 * <p>It must sit outside {@code StatusMappingInterceptor}, so that it sees the mapped code, not UNKNOWN. A call the
 * client cancels before the service answered is recorded with code CANCELLED.
 */
public final class CallMetricsInterceptor implements ServerInterceptor {

    static final String CALLS = "vdisk.csi.calls";
    static final String IN_FLIGHT = "vdisk.csi.calls.in.flight";
    /** CSI calls take from a millisecond (Probe) to a minute (a lock wait before ABORTED, a big mkfs). */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(1),
        Duration.ofMillis(5),
        Duration.ofMillis(10),
        Duration.ofMillis(25),
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60)
    };

    private final MeterRegistry registry;
    private final AtomicInteger inFlight;

    public CallMetricsInterceptor(MeterRegistry registry) {
        this.registry = registry;
        this.inFlight = registry.gauge(IN_FLIGHT, new AtomicInteger());
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        TimedCall<ReqT, RespT> timed = new TimedCall<>(call, System.nanoTime());
        inFlight.incrementAndGet();
        ServerCall.Listener<ReqT> delegate;
        try {
            delegate = next.startCall(timed, headers);
        } catch (RuntimeException e) {
            timed.end(Status.Code.UNKNOWN);
            throw e;
        }
        return new SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onCancel() {
                timed.end(Status.Code.CANCELLED); // no-op when the service had closed the call already
                super.onCancel();
            }
        };
    }

    private final class TimedCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT> {
        private final long start;
        private final AtomicBoolean ended = new AtomicBoolean();

        TimedCall(ServerCall<ReqT, RespT> delegate, long start) {
            super(delegate);
            this.start = start;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            end(status.getCode());
            super.close(status, trailers);
        }

        /** Records the call once, whichever of close and cancel comes first. */
        void end(Status.Code code) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            inFlight.decrementAndGet();
            Timer.builder(CALLS)
                    .description("CSI calls by method and final gRPC status code")
                    .tag("method", getMethodDescriptor().getFullMethodName())
                    .tag("code", code.name())
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }
}
