package dev.vdisk.kube.agentapi;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.ReplicaChunk;
import dev.vdisk.api.agent.ReplicaPlan;
import dev.vdisk.api.agent.ReplicaSourceApi;
import dev.vdisk.controller.metadata.SnapshotStreams;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.Vdisk;
import dev.vdisk.node.agent.NodeReplicas;
import dev.vdisk.node.replication.PullStatus;
import dev.vdisk.node.replication.ReplicaPuller;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication between two pools over the agent API (gRPC on loopback, the bearer-token check in front): the source
 * node's pool served by {@link AgentApiServer}, the target's {@link ReplicaPuller} reaching it through
 * {@link ReplicaSourceClient} with the node plugin's token. A seed of random data with holes and three 1 % deltas read
 * byte-identical; a stream that fails mid-way (UNAVAILABLE on the wire) is resumed from the puller's cursor without
 * sending a byte twice; the node plugin's account is admitted to the replication service and to nothing else.
 */
@EnableKubernetesMockClient
class ReplicaTransportTest {
    private static final ServiceAccountName CONTROLLER = ServiceAccountName.parse("kube-system:vdisk-csi-controller");
    private static final ServiceAccountName NODE = ServiceAccountName.parse("kube-system:vdisk-csi-node");
    private static final int SEGMENT = 64 << 10;
    private static final long SIZE = 64L << 20;

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    TokenFile token;
    AgentApiServer agent;
    AgentApiClient puller;

    @BeforeEach
    void setUp() throws Exception {
        server.expect()
                .post()
                .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                .andReply(201, req -> {
                    TokenReview asked = client.getKubernetesSerialization()
                            .unmarshal(req.getBody().readUtf8(), TokenReview.class);
                    return new TokenReviewBuilder(asked)
                            .withNewStatus()
                            .withAuthenticated(true)
                            .withAudiences(asked.getSpec().getAudiences())
                            .withNewUser()
                            .withUsername(NODE.username())
                            .endUser()
                            .endStatus()
                            .build();
                })
                .always();
        token = new TokenFile(dir.resolve("token"));
        Files.writeString(token.path(), TestTokens.jwt("node", Instant.now().plusSeconds(3600)));
        puller = new AgentApiClient(token);
    }

    @AfterEach
    void tearDown() {
        puller.close();
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void seedAndDeltasOverTheAgentApiResumeABrokenStream() throws Exception {
        Random rnd = new Random(9);
        PoolOptions o = new PoolOptions(8L << 20, 8L << 20, 200, 16L << 20, 256L << 20, 1);
        try (Pool a = Pool.create(dir.resolve("a"), new PoolSpec(192L << 20, SEGMENT, null, null), o);
                Pool b = Pool.create(dir.resolve("b"), new PoolSpec(192L << 20, SEGMENT, null, null), o)) {
            Served served = new Served(new NodeReplicas(a, dir.resolve("a")));
            NodeReplicas target = new NodeReplicas(b, dir.resolve("b"));
            a.vdisks().create("pvc-1", SIZE);
            long seedBytes = write(a.vdisks().get("pvc-1"), rnd, (int) (SIZE / SEGMENT / 3));
            a.snapshots().take("pvc-1", "snap-0");
            int port = serve(served, 0);
            String address = "127.0.0.1:" + port;
            ReplicaPuller pull = new ReplicaPuller(target, () -> new ReplicaSourceClient(puller, address), 50, 50);

            served.failAfter = 30; // the source fails mid-stream once: UNAVAILABLE on the wire
            PullStatus seed = pull.pull("pvc-1", "snap-0", "pvc-1.snap-0", 0);
            assertEquals("DONE", seed.phase());
            assertEquals(2, seed.attempts(), "the failure broke the stream: " + seed);
            assertSame(a.snapshots().reader("snap-0"), b.snapshots().reader("pvc-1.snap-0"), "seed");
            assertTrue(
                    served.froms.size() >= 2 && served.froms.getLast() > 0, "resumed from a cursor: " + served.froms);
            long slack = 0; // the source failed between chunks: nothing was in flight
            assertTrue(
                    served.bytes.get() <= seedBytes + slack,
                    served.bytes + " bytes served for a seed of " + seedBytes + " bytes of data");

            for (int k = 1; k <= 3; k++) {
                long changed = write(a.vdisks().get("pvc-1"), rnd, (int) (SIZE / SEGMENT / 100));
                a.snapshots().take("pvc-1", "snap-" + k);
                served.bytes.set(0);
                PullStatus d = pull.pull("pvc-1", "snap-" + k, "pvc-1.snap-" + k, 0);
                assertTrue(
                        served.bytes.get() <= changed * 1.1,
                        "delta " + k + ": " + served.bytes + " bytes sent for " + changed + " changed");
                assertEquals(served.bytes.get(), d.bytesSent());
                assertSame(a.snapshots().reader("snap-" + k), b.snapshots().reader("pvc-1.snap-" + k), "delta " + k);
            }
            // the node plugin's account reaches the replication service only
            StatusRuntimeException e =
                    assertThrows(StatusRuntimeException.class, () -> puller.allocated(address, "snap-0", 0)
                            .hasNext());
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.toString());
        }
    }

    private int serve(ReplicaSourceApi source, int port) throws Exception {
        BearerTokenInterceptor auth = new BearerTokenInterceptor(
                        new TokenReviewAuthenticator(client, "vdisk-csi-agent-api"), CONTROLLER)
                .withReplicationFrom(NODE);
        agent = AgentApiServer.start(new InetSocketAddress("127.0.0.1", port), nothing(), source, auth, null);
        return agent.port();
    }

    private static long write(Vdisk v, Random rnd, int segments) {
        ByteBuffer buf = ByteBuffer.allocateDirect(SEGMENT);
        byte[] data = new byte[SEGMENT];
        long segs = v.size() / SEGMENT;
        Set<Long> touched = new HashSet<>();
        for (int i = 0; i < segments; i++) {
            rnd.nextBytes(data);
            buf.clear();
            buf.put(data).flip();
            long seg = rnd.nextLong(segs);
            touched.add(seg);
            v.write(seg * SEGMENT, buf);
        }
        v.flush();
        return (long) touched.size() * SEGMENT;
    }

    private static void assertSame(Vdisk expected, Vdisk actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        ByteBuffer x = ByteBuffer.allocateDirect(1 << 20);
        ByteBuffer y = ByteBuffer.allocateDirect(1 << 20);
        for (long at = 0; at < expected.size(); at += 1 << 20) {
            x.clear();
            y.clear();
            expected.read(at, x);
            actual.read(at, y);
            assertEquals(x.flip(), y.flip(), what + ": the MiB at " + at + " differs");
        }
    }

    private static SnapshotStreams nothing() {
        return (SnapshotStreams) Proxy.newProxyInstance(
                SnapshotStreams.class.getClassLoader(), new Class<?>[] {SnapshotStreams.class}, (p, m, a) -> {
                    throw new AssertionError("the agent was asked " + m.getName());
                });
    }

    /** The source agent's replication, counting the data bytes it serves and where each export starts. */
    private static final class Served implements ReplicaSourceApi {
        private final ReplicaSourceApi source;
        final AtomicLong bytes = new AtomicLong();
        final List<Long> froms = new CopyOnWriteArrayList<>();
        volatile int failAfter = -1;

        Served(ReplicaSourceApi source) {
            this.source = source;
        }

        @Override
        public Iterator<ReplicaChunk> export(String base, String snap, long from) {
            froms.add(from);
            Iterator<ReplicaChunk> it = source.export(base, snap, from);
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                int n;

                @Override
                public ReplicaChunk next() {
                    if (n++ == failAfter) {
                        failAfter = -1;
                        throw new AgentException(AgentReason.IO_ERROR, "the source's disk hiccuped");
                    }
                    ReplicaChunk c = it.next();
                    if (c.hasData()) {
                        bytes.addAndGet(c.length());
                    }
                    return c;
                }
            };
        }

        @Override
        public long snapshotSize(String snap) {
            return source.snapshotSize(snap);
        }

        @Override
        public ReplicaPlan exportPlan(String base, String snap, long from) {
            return source.exportPlan(base, snap, from);
        }
    }
}
