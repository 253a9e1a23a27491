package dev.vdisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerPublishVolumeResponse;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteVolumeRequest;
import csi.v1.DeleteVolumeResponse;
import csi.v1.GetCapacityRequest;
import csi.v1.GetCapacityResponse;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginInfoRequest;
import csi.v1.IdentityGrpc;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.NodeGrpc;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.PluginCapability;
import csi.v1.ProbeRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The server over a real unix socket, with a real gRPC client, as a sidecar talks to it. */
class CsiServerTest {

    /** Stand-in for an engine exception that a plugin teaches the mapper. */
    static final class NoSuchVolume extends RuntimeException {
        NoSuchVolume(String id) {
            super("volume " + id + " does not exist");
        }
    }

    /** A Controller whose calls exercise the interceptors; not a real controller. */
    static final class ScriptedController extends ControllerGrpc.ControllerImplBase {
        final CountDownLatch slowCallStarted = new CountDownLatch(1);

        @Override
        public void createVolume(CreateVolumeRequest request, StreamObserver<CreateVolumeResponse> response) {
            throw new IllegalArgumentException("capacity_range missing in request");
        }

        @Override
        public void deleteVolume(DeleteVolumeRequest request, StreamObserver<DeleteVolumeResponse> response) {
            response.onError(new NoSuchVolume(request.getVolumeId()));
        }

        @Override
        public void controllerPublishVolume(
                ControllerPublishVolumeRequest request, StreamObserver<ControllerPublishVolumeResponse> response) {
            throw new IllegalStateException("bug");
        }

        @Override
        public void getCapacity(GetCapacityRequest request, StreamObserver<GetCapacityResponse> response) {
            response.onNext(GetCapacityResponse.newBuilder()
                    .setAvailableCapacity(Thread.currentThread().isVirtual() ? 1 : 0)
                    .build());
            response.onCompleted();
        }

        @Override
        public void listVolumes(ListVolumesRequest request, StreamObserver<ListVolumesResponse> response) {
            slowCallStarted.countDown();
            try {
                Thread.sleep(700);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            response.onNext(
                    ListVolumesResponse.newBuilder().setNextToken("done").build());
            response.onCompleted();
        }
    }

    @TempDir
    Path dir;

    private Path socket;
    private final AtomicBoolean ready = new AtomicBoolean();
    private final ScriptedController controller = new ScriptedController();
    private CsiServer server;
    private UnixSocketClient client;
    private final ListAppender<ILoggingEvent> callLog = new ListAppender<>();

    @BeforeEach
    void attachLogCapture() {
        socket = dir.resolve("run/plugin/csi.sock");
        callLog.start();
        ((Logger) LoggerFactory.getLogger(CallLoggingInterceptor.class)).addAppender(callLog);
    }

    @AfterEach
    void stop() throws InterruptedException {
        ((Logger) LoggerFactory.getLogger(CallLoggingInterceptor.class)).detachAppender(callLog);
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.shutdown(Duration.ofSeconds(2));
        }
    }

    private void startServer() throws IOException {
        StatusMapper mapper =
                new StatusMapper().register(ErrorTranslation.of(NoSuchVolume.class, Status.Code.NOT_FOUND));
        IdentityService identity = new IdentityService(
                "vdisk.csi.dev",
                "1.2.3",
                List.of(PluginCapability.newBuilder()
                        .setService(PluginCapability.Service.newBuilder()
                                .setType(PluginCapability.Service.Type.CONTROLLER_SERVICE))
                        .build()),
                ready::get);
        server = CsiServer.start(new Endpoint(socket), List.of(identity, controller), mapper);
        client = new UnixSocketClient(socket);
    }

    @Test
    void identityAnswersOverTheSocket() throws IOException {
        startServer();
        var identity = IdentityGrpc.newBlockingStub(client.channel);
        var info = identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
        assertEquals("vdisk.csi.dev", info.getName());
        assertEquals("1.2.3", info.getVendorVersion());
        assertEquals(
                PluginCapability.Service.Type.CONTROLLER_SERVICE,
                identity.getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                        .getCapabilities(0)
                        .getService()
                        .getType());

        var probe = identity.probe(ProbeRequest.getDefaultInstance());
        assertTrue(probe.hasReady(), "ready is always set, so a CO never has to assume");
        assertFalse(probe.getReady().getValue());
        ready.set(true);
        assertTrue(identity.probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
        assertTrue(server.isServing());
    }

    @Test
    void createsTheParentDirectoryAndRemovesTheSocketOnShutdown() throws IOException {
        assertFalse(Files.exists(socket.getParent()));
        startServer();
        assertEquals("socket", SocketFile.describe(socket));
        server.shutdown(Duration.ofSeconds(2));
        assertFalse(server.isServing());
        assertFalse(Files.exists(socket));
    }

    @Test
    void onlyThePluginsOwnUserCanReachTheSocket() throws IOException {
        startServer();
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        try (var entries = Files.list(socket.getParent())) {
            assertEquals(List.of(socket), entries.toList(), "the private directory the socket was bound in is gone");
        }
        assertEquals(
                "vdisk.csi.dev",
                IdentityGrpc.newBlockingStub(client.channel)
                        .getPluginInfo(GetPluginInfoRequest.getDefaultInstance())
                        .getName(),
                "the renamed socket still serves");
    }

    @Test
    void aSocketPathNearTheKernelsLimitStillBinds() throws IOException {
        // 107 bytes is the most sun_path holds; the private directory must not push a legal endpoint past it
        Path parent = dir.resolve("p");
        String padding = "x".repeat(107 - parent.toString().length() - "/".length() - "/csi.sock".length());
        socket = parent.resolve(padding).resolve("csi.sock");
        assertEquals(107, socket.toString().length());
        startServer();
        assertEquals(
                "vdisk.csi.dev",
                IdentityGrpc.newBlockingStub(client.channel)
                        .getPluginInfo(GetPluginInfoRequest.getDefaultInstance())
                        .getName());
    }

    @Test
    void thrownExceptionsBecomeMappedStatuses() throws IOException {
        startServer();
        var stub = ControllerGrpc.newBlockingStub(client.channel);

        StatusRuntimeException invalid = assertThrows(
                StatusRuntimeException.class,
                () -> stub.createVolume(
                        CreateVolumeRequest.newBuilder().setName("pvc-1").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getStatus().getCode());
        assertEquals("capacity_range missing in request", invalid.getStatus().getDescription());

        StatusRuntimeException notFound = assertThrows(
                StatusRuntimeException.class,
                () -> stub.deleteVolume(
                        DeleteVolumeRequest.newBuilder().setVolumeId("pvc-7").build()));
        assertEquals(Status.Code.NOT_FOUND, notFound.getStatus().getCode(), "onError(exception) is mapped too");
        assertEquals("volume pvc-7 does not exist", notFound.getStatus().getDescription());

        StatusRuntimeException internal = assertThrows(
                StatusRuntimeException.class,
                () -> stub.controllerPublishVolume(ControllerPublishVolumeRequest.getDefaultInstance()));
        assertEquals(Status.Code.INTERNAL, internal.getStatus().getCode());
        assertEquals(
                "java.lang.IllegalStateException: bug", internal.getStatus().getDescription());
    }

    @Test
    void unregisteredServiceIsUnimplemented() throws IOException {
        startServer();
        StatusRuntimeException e =
                assertThrows(StatusRuntimeException.class, () -> NodeGrpc.newBlockingStub(client.channel)
                        .nodeStageVolume(NodeStageVolumeRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    }

    @Test
    void serviceCodeRunsOnVirtualThreads() throws IOException {
        startServer();
        assertEquals(
                1,
                ControllerGrpc.newBlockingStub(client.channel)
                        .getCapacity(GetCapacityRequest.getDefaultInstance())
                        .getAvailableCapacity());
    }

    @Test
    void gracefulShutdownLetsInFlightCallsFinish() throws Exception {
        startServer();
        var stub = ControllerGrpc.newBlockingStub(client.channel);
        CompletableFuture<ListVolumesResponse> inFlight =
                CompletableFuture.supplyAsync(() -> stub.listVolumes(ListVolumesRequest.getDefaultInstance()));
        assertTrue(controller.slowCallStarted.await(5, TimeUnit.SECONDS));
        server.shutdown(Duration.ofSeconds(5));
        assertEquals("done", inFlight.get(5, TimeUnit.SECONDS).getNextToken());
        assertFalse(Files.exists(socket));
    }

    @Test
    void staleSocketIsReplaced() throws IOException {
        Files.createDirectories(socket.getParent());
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(socket));
        }
        assertEquals("socket", SocketFile.describe(socket), "closing a JDK unix socket leaves its file behind");
        startServer();
        assertEquals(
                "vdisk.csi.dev",
                IdentityGrpc.newBlockingStub(client.channel)
                        .getPluginInfo(GetPluginInfoRequest.getDefaultInstance())
                        .getName());
    }

    @Test
    void regularFileAtSocketPathIsRefusedAndKept() throws IOException {
        Files.createDirectories(socket.getParent());
        Files.writeString(socket, "precious");
        IOException e = assertThrows(IOException.class, this::startServer);
        assertTrue(
                e.getMessage().contains(socket.toString()) && e.getMessage().contains("regular file"), e.getMessage());
        assertEquals("precious", Files.readString(socket));
    }

    @Test
    void directoryAtSocketPathIsRefused() throws IOException {
        Files.createDirectories(socket.resolve("child"));
        IOException e = assertThrows(IOException.class, this::startServer);
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
        assertTrue(Files.isDirectory(socket.resolve("child")));
    }

    @Test
    void symlinkAtSocketPathIsRefusedEvenIfItPointsToASocket() throws IOException {
        Path real = dir.resolve("real.sock");
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(real));
        }
        Files.createDirectories(socket.getParent());
        Files.createSymbolicLink(socket, real);
        IOException e = assertThrows(IOException.class, this::startServer);
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertTrue(Files.isSymbolicLink(socket));
        assertTrue(Files.exists(real));
    }

    @Test
    void oneLogLinePerCallWithIdsStatusAndDurationButNoSecrets() throws IOException {
        startServer();
        var stub = ControllerGrpc.newBlockingStub(client.channel);
        assertThrows(
                StatusRuntimeException.class,
                () -> stub.createVolume(CreateVolumeRequest.newBuilder()
                        .setName("pvc-1")
                        .putSecrets("password", "hunter2")
                        .build()));
        Metadata headers = new Metadata();
        headers.put(CallLoggingInterceptor.REQUEST_ID_HEADER, "req-42");
        assertThrows(StatusRuntimeException.class, () -> stub.withInterceptors(
                        MetadataUtils.newAttachHeadersInterceptor(headers))
                .deleteVolume(DeleteVolumeRequest.newBuilder()
                        .setVolumeId("pvc-7")
                        .putSecrets("token", "s3cr3t")
                        .build()));
        IdentityGrpc.newBlockingStub(client.channel).getPluginInfo(GetPluginInfoRequest.getDefaultInstance());

        List<String> lines =
                callLog.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(
                lines.get(0)
                        .matches("csi\\.v1\\.Controller/CreateVolume rid=[0-9a-f]{8} -> INVALID_ARGUMENT \\d+ ms: .*"),
                lines.get(0));
        assertTrue(
                lines.get(1)
                        .matches(
                                "csi\\.v1\\.Controller/DeleteVolume rid=req-42 volume_id=pvc-7 -> NOT_FOUND \\d+ ms: .*"),
                lines.get(1));
        assertTrue(
                lines.get(2).matches("csi\\.v1\\.Identity/GetPluginInfo rid=[0-9a-f]{8} -> OK \\d+ ms"), lines.get(2));
        assertTrue(
                lines.stream().noneMatch(l -> l.contains("hunter2") || l.contains("s3cr3t") || l.contains("password")));
    }
}
