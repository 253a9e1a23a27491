package dev.vdisk.kube.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.BlockMetadata;
import csi.v1.GetMetadataAllocatedRequest;
import csi.v1.GetMetadataAllocatedResponse;
import csi.v1.GetMetadataDeltaRequest;
import csi.v1.GetMetadataDeltaResponse;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.BlockExtent;
import dev.vdisk.api.agent.ExtentApi;
import dev.vdisk.controller.agents.NodeSnapshot;
import dev.vdisk.controller.metadata.SnapshotMetadataService;
import dev.vdisk.controller.metadata.SnapshotStreams;
import dev.vdisk.csi.server.StatusMapper;
import dev.vdisk.kube.agentapi.AgentApiClient;
import dev.vdisk.kube.agentapi.TokenFile;
import dev.vdisk.kube.resource.NodeCapacity;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskNodeStatus;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshotSpec;
import dev.vdisk.kube.resource.VdiskSnapshotStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's SnapshotMetadata service in cluster mode streams a snapshot's extents from the owning node's agent
 * API over real gRPC (a server with the node's SnapshotMetadata service), with the token file's current token as
 * bearer, and passes the node's status codes on.
 */
@EnableKubernetesMockClient(crud = true)
class SnapshotMetadataProxyTest {

    KubernetesClient client;

    @TempDir
    Path dir;

    final List<String> authorizations = new CopyOnWriteArrayList<>();
    Server node;
    AgentApiClient api;
    SnapshotMetadataService service;
    Path token;

    @BeforeEach
    void setUp() throws IOException {
        ServerInterceptor recordAuth = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                authorizations.add(String.valueOf(
                        headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER))));
                return next.startCall(call, headers);
            }
        };
        // the node side: its SnapshotMetadata service, errors mapped by csi-server's StatusMapper as the real one does
        node = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new SnapshotMetadataService(new ExtentNode()))
                .intercept(new MapErrors())
                .intercept(recordAuth)
                .build()
                .start();
        publishNode(
                "n1",
                "127.0.0.1:" + ((InetSocketAddress) node.getListenSockets().getFirst()).getPort());
        publishNode("n2", null);
        snapshot("s1", "n1", "v1");
        snapshot("s2", "n1", "v1");
        snapshot("gone-on-node", "n1", "v1");
        snapshot("s3", "n2", "v3");
        token = dir.resolve("token");
        Files.writeString(token, "token-1\n");
        api = new AgentApiClient(new TokenFile(token));
        service = new SnapshotMetadataService(
                new ResourceNodeAgents(client, Duration.ofSeconds(2), new AgentApiExtents(client, api)));
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
        node.shutdownNow().awaitTermination();
    }

    @Test
    void allocatedAndDeltaComeFromTheOwningNodeWithTheCurrentToken() throws IOException {
        List<GetMetadataAllocatedResponse> allocated = new ArrayList<>();
        service.getMetadataAllocated(
                GetMetadataAllocatedRequest.newBuilder().setSnapshotId("s1").build(), Csi2.collect(allocated));
        assertEquals(
                List.of(meta(0, 4096), meta(65536, 8192)),
                allocated.stream()
                        .flatMap(r -> r.getBlockMetadataList().stream())
                        .toList());
        assertEquals(1 << 20, allocated.getFirst().getVolumeCapacityBytes());

        Files.writeString(token, "token-2\n"); // the kubelet rotated it
        List<GetMetadataDeltaResponse> delta = new ArrayList<>();
        service.getMetadataDelta(
                GetMetadataDeltaRequest.newBuilder()
                        .setBaseSnapshotId("s1")
                        .setTargetSnapshotId("s2")
                        .build(),
                Csi2.collect(delta));
        assertEquals(
                List.of(meta(4096, 4096)),
                delta.stream().flatMap(r -> r.getBlockMetadataList().stream()).toList());
        assertEquals(List.of("Bearer token-1", "Bearer token-2"), authorizations);
    }

    @Test
    void theNodesCodesArePassedOnAndANodeWithoutAddressIsUnavailable() {
        Status notFound = Csi.MAPPER.toStatus(assertFails(() -> service.getMetadataAllocated(
                GetMetadataAllocatedRequest.newBuilder()
                        .setSnapshotId("gone-on-node")
                        .build(),
                Csi2.collect(new ArrayList<>()))));
        assertEquals(Status.Code.NOT_FOUND, notFound.getCode(), notFound.toString());
        Status unavailable = Csi.MAPPER.toStatus(assertFails(() -> service.getMetadataAllocated(
                GetMetadataAllocatedRequest.newBuilder().setSnapshotId("s3").build(),
                Csi2.collect(new ArrayList<>()))));
        assertEquals(Status.Code.UNAVAILABLE, unavailable.getCode());
        assertTrue(unavailable.getDescription().contains("node n2 publishes no agent API address"));
    }

    private static RuntimeException assertFails(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("expected a failure");
    }

    private static BlockMetadata meta(long offset, long size) {
        return BlockMetadata.newBuilder()
                .setByteOffset(offset)
                .setSizeBytes(size)
                .build();
    }

    private void publishNode(String name, String address) {
        VdiskNode n = new VdiskNode();
        n.setMetadata(new ObjectMetaBuilder().withName(name).build());
        client.resources(VdiskNode.class).resource(n).create();
        client.resources(VdiskNode.class).withName(name).editStatus(x -> {
            x.setStatus(new VdiskNodeStatus(new NodeCapacity(1 << 30, 1 << 30, 0), address, null, List.of()));
            return x;
        });
    }

    private void snapshot(String id, String node, String source) {
        VdiskSnapshot s = new VdiskSnapshot();
        s.setMetadata(new ObjectMetaBuilder()
                .withName(id)
                .addToLabels(ResourceKeys.NODE_LABEL, node)
                .build());
        s.setSpec(new VdiskSnapshotSpec(node, source));
        client.resources(VdiskSnapshot.class).resource(s).create();
        client.resources(VdiskSnapshot.class).withName(id).editStatus(x -> {
            x.setStatus(new VdiskSnapshotStatus(
                    ResourcePhase.Ready,
                    x.getMetadata().getGeneration(),
                    1 << 20,
                    id.equals("s1") ? "2026-11-22T07:00:00Z" : "2026-11-22T07:01:00Z",
                    true,
                    "",
                    List.of(),
                    null,
                    List.of()));
            return x;
        });
    }

    /** What escapes the node's service becomes a status by StatusMapper (csi-server's interceptor is not public). */
    static final class MapErrors implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                    next.startCall(call, headers)) {
                @Override
                public void onHalfClose() {
                    try {
                        super.onHalfClose();
                    } catch (RuntimeException e) {
                        call.close(new StatusMapper().toStatus(e), new Metadata());
                    }
                }
            };
        }
    }

    /** The node's pool as far as these streams go: s1 and s2 of volume v1 (its snapshots and their extents only). */
    static final class ExtentNode implements SnapshotStreams, ExtentApi {
        @Override
        public Optional<NodeSnapshot> findSnapshot(String id) {
            return id.equals("s1") || id.equals("s2")
                    ? Optional.of(new NodeSnapshot("n1", new AgentSnapshot(id, "v1", 1 << 20, id.equals("s1") ? 1 : 2)))
                    : Optional.empty();
        }

        @Override
        public Optional<ExtentApi> extentsOn(String nodeId) {
            return nodeId.equals("n1") ? Optional.of(this) : Optional.empty();
        }

        @Override
        public Iterator<BlockExtent> allocated(String snapshotId, long startOffset) {
            return List.of(
                            new BlockExtent(0, 4096, BlockExtent.Kind.ALLOCATED),
                            new BlockExtent(65536, 8192, BlockExtent.Kind.ALLOCATED))
                    .iterator();
        }

        @Override
        public Iterator<BlockExtent> delta(String base, String target, long startOffset) {
            return List.of(new BlockExtent(4096, 4096, BlockExtent.Kind.CHANGED))
                    .iterator();
        }
    }
}
