package dev.vdisk.csi.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.GetCapacityRequest;
import csi.v1.GetCapacityResponse;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import dev.vdisk.csi.server.CsiServer;
import dev.vdisk.csi.server.Endpoint;
import dev.vdisk.csi.server.StatusMapper;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Calls over the real unix socket through the real interceptor chain land in the registry with their final code. */
class CallMetricsInterceptorTest {

    /** CreateVolume throws (mapped to INVALID_ARGUMENT), GetCapacity answers, ListVolumes waits to be released. */
    static final class ScriptedController extends ControllerGrpc.ControllerImplBase {
        final CountDownLatch listStarted = new CountDownLatch(1);
        final CountDownLatch listRelease = new CountDownLatch(1);

        @Override
        public void createVolume(CreateVolumeRequest request, StreamObserver<CreateVolumeResponse> response) {
            throw new IllegalArgumentException("name missing in request");
        }

        @Override
        public void getCapacity(GetCapacityRequest request, StreamObserver<GetCapacityResponse> response) {
            response.onNext(
                    GetCapacityResponse.newBuilder().setAvailableCapacity(7).build());
            response.onCompleted();
        }

        @Override
        public void listVolumes(ListVolumesRequest request, StreamObserver<ListVolumesResponse> response) {
            listStarted.countDown();
            try {
                listRelease.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            response.onNext(ListVolumesResponse.getDefaultInstance());
            response.onCompleted();
        }
    }

    @TempDir
    Path dir;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ScriptedController controller = new ScriptedController();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private CsiServer server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        Path socket = dir.resolve("csi.sock");
        server = CsiServer.start(
                new Endpoint(socket),
                List.of(controller),
                new StatusMapper(),
                List.of(new CallMetricsInterceptor(registry)));
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toFile()))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .build();
    }

    @AfterEach
    void stop() {
        controller.listRelease.countDown();
        channel.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        server.shutdown(Duration.ofSeconds(2));
        registry.close();
    }

    @Test
    void callsAreTimedByMethodAndMappedCode() {
        var stub = ControllerGrpc.newBlockingStub(channel);
        StatusRuntimeException refused = assertThrows(
                StatusRuntimeException.class, () -> stub.createVolume(CreateVolumeRequest.getDefaultInstance()));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
        stub.getCapacity(GetCapacityRequest.getDefaultInstance());
        stub.getCapacity(GetCapacityRequest.getDefaultInstance());

        Timer create = timer("csi.v1.Controller/CreateVolume", "INVALID_ARGUMENT");
        assertNotNull(create, "CreateVolume recorded with the mapped code, not UNKNOWN");
        assertEquals(1, create.count());
        assertNull(timer("csi.v1.Controller/CreateVolume", "UNKNOWN"));
        Timer capacity = timer("csi.v1.Controller/GetCapacity", "OK");
        assertEquals(2, capacity.count());
        assertTrue(capacity.totalTime(TimeUnit.NANOSECONDS) > 0);
        assertEquals(0, inFlight());
    }

    @Test
    void aRunningCallIsInFlightUntilItCloses() throws Exception {
        var stub = ControllerGrpc.newBlockingStub(channel);
        CompletableFuture<ListVolumesResponse> list =
                CompletableFuture.supplyAsync(() -> stub.listVolumes(ListVolumesRequest.getDefaultInstance()));
        assertTrue(controller.listStarted.await(10, TimeUnit.SECONDS));
        assertEquals(1, inFlight());
        assertNull(timer("csi.v1.Controller/ListVolumes", "OK"), "not recorded before it ends");
        controller.listRelease.countDown();
        list.get(10, TimeUnit.SECONDS);
        // the client sees the response when the server has closed the call, which is where it is recorded
        assertEquals(1, timer("csi.v1.Controller/ListVolumes", "OK").count());
        assertEquals(0, inFlight());
    }

    private Timer timer(String method, String code) {
        return registry.find(CallMetricsInterceptor.CALLS)
                .tag("method", method)
                .tag("code", code)
                .timer();
    }

    private double inFlight() {
        return registry.get(CallMetricsInterceptor.IN_FLIGHT).gauge().value();
    }
}
