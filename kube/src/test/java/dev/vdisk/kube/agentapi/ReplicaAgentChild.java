package dev.vdisk.kube.agentapi;

import dev.vdisk.api.agent.ReplicaChunk;
import dev.vdisk.api.agent.ReplicaPlan;
import dev.vdisk.api.agent.ReplicaSourceApi;
import dev.vdisk.api.agent.ReplicaStatus;
import dev.vdisk.controller.metadata.SnapshotStreams;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.Vdisk;
import dev.vdisk.node.agent.NodeReplicas;
import dev.vdisk.node.replication.PullStatus;
import dev.vdisk.node.replication.ReplicaPuller;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * One node's agent for {@link ReplicaAgentsTest}, in its own JVM so that the test can SIGKILL it: the node's pool
 * with its {@link NodeReplicas} (what {@code NodeAgent.replicas()} is), and as source the agent API's replication
 * service on loopback behind the real token check, or as target a {@link ReplicaPuller} reaching the source through
 * {@link ReplicaSourceClient}. Commands on stdin, one a line; answers on stdout. The source prints every data chunk it
 * serves ({@code CHUNK offset length}) so the test counts bytes across processes.
 *
 * <p>Usage: {@code source POOL_DIR KUBE_URL} or {@code target POOL_DIR TOKEN_FILE}; the pool is created if missing.
 */
public final class ReplicaAgentChild {
    static final int SEGMENT = 64 << 10;
    static final long POOL_BYTES = 3L << 30;

    private ReplicaAgentChild() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Path dir = Path.of(args[1]);
        PoolOptions o = new PoolOptions(8L << 20, 8L << 20, 200, 16L << 20, 256L << 20, 1);
        Pool pool = Files.isDirectory(dir) && hasPool(dir)
                ? Pool.open(dir, o)
                : Pool.create(dir, new PoolSpec(POOL_BYTES, SEGMENT, null, null), o);
        NodeReplicas replicas = new NodeReplicas(pool, dir);
        AgentApiClient client = null;
        if (args[0].equals("source")) {
            KubernetesClient kube = new KubernetesClientBuilder()
                    .withConfig(new ConfigBuilder()
                            .withMasterUrl(args[2])
                            .withTrustCerts(true)
                            .build())
                    .build();
            BearerTokenInterceptor auth = new BearerTokenInterceptor(
                            new TokenReviewAuthenticator(kube, "vdisk-csi-agent-api"),
                            ServiceAccountName.parse("kube-system:vdisk-csi-controller"))
                    .withReplicationFrom(ServiceAccountName.parse("kube-system:vdisk-csi-node"));
            AgentApiServer server = AgentApiServer.start(
                    new InetSocketAddress("127.0.0.1", 0), nothing(), new Printing(replicas, out), auth, null);
            out.println("PORT " + server.port());
        } else {
            client = new AgentApiClient(new TokenFile(Path.of(args[2])));
            out.println("READY");
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] c = line.split(" ");
            switch (c[0]) {
                case "seed" -> out.println("WROTE " + seed(pool, Long.parseLong(c[1]), Long.parseLong(c[2])));
                case "blocks" ->
                    out.println("WROTE "
                            + blocks(
                                    pool.vdisks().get("pvc-1"),
                                    new Random(Long.parseLong(c[1])),
                                    Double.parseDouble(c[2])));
                case "snapshot" -> {
                    pool.snapshots().take("pvc-1", c[1]);
                    out.println("OK");
                }
                case "digest" -> out.println("DIGEST " + digest(pool.snapshots().reader(c[1])));
                case "pull" -> {
                    // pull REPLICA SOURCE_SNAP SNAP RATE ADDRESS
                    AgentApiClient api = client;
                    String address = c[5];
                    ReplicaPuller puller = new ReplicaPuller(
                            replicas, () -> new ReplicaSourceClient(api, address), 1000, 20, replicas.pulls());
                    Thread.ofVirtual()
                            .start(
                                    () -> { // commands (status) go on meanwhile
                                        try {
                                            PullStatus s = puller.pull(c[1], c[2], c[3], Long.parseLong(c[4]));
                                            out.println(
                                                    "PULLED " + s.phase() + " " + s.bytesSent() + " " + s.attempts());
                                        } catch (Exception e) {
                                            out.println("PULLED FAILED " + e.getMessage());
                                        }
                                    });
                }
                case "status" -> {
                    ReplicaStatus s = replicas.replicaStatus(c[1]).orElseThrow();
                    out.println("STATUS " + s.cursor() + " " + s.durableCursor() + " " + s.lastSnapshotId());
                }
                case "clone" -> {
                    pool.snapshots().clone(c[1], c[2]);
                    out.println("DIGEST " + digest(pool.vdisks().get(c[2])));
                }
                default -> out.println("ERROR unknown command " + c[0]);
            }
        }
    }

    private static boolean hasPool(Path dir) throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.findAny().isPresent();
        }
    }

    /**
     * A 1 GiB volume {@code pvc-1} (created if missing) with random data over about {@code percent} % of it in runs of
     * 64 KiB to 4 MiB, one run in eight zeros, and holes between. Returns the bytes written.
     */
    private static long seed(Pool pool, long seed, long percent) {
        long size = 1L << 30;
        pool.vdisks().create("pvc-1", size);
        Vdisk v = pool.vdisks().get("pvc-1");
        SplittableRandom rnd = new SplittableRandom(seed); // nextBytes 8 bytes a call: java.util.Random's is slow
        ByteBuffer b = ByteBuffer.allocateDirect(4 << 20);
        byte[] data = new byte[4 << 20];
        long written = 0;
        for (long at = 0; at < size; ) {
            long run = (long) SEGMENT << rnd.nextInt(7);
            run = Math.min(run, size - at);
            if (rnd.nextInt(100) < percent) {
                b.clear().limit((int) run);
                if (rnd.nextInt(8) == 0) {
                    b.put(new byte[(int) run]);
                } else {
                    rnd.nextBytes(data);
                    b.put(data, 0, (int) run);
                }
                v.write(at, b.flip());
                written += run;
            }
            at += run;
        }
        v.flush();
        return written;
    }

    /** Random 4 KiB blocks over {@code fraction} of the volume; returns the distinct bytes changed. */
    private static long blocks(Vdisk v, Random rnd, double fraction) {
        long blocks = v.size() / 4096;
        java.util.BitSet changed = new java.util.BitSet();
        ByteBuffer b = ByteBuffer.allocateDirect(4096);
        byte[] data = new byte[4096];
        while (changed.cardinality() < blocks * fraction) {
            int at = (int) rnd.nextLong(blocks);
            rnd.nextBytes(data);
            v.write(at * 4096L, b.clear().put(data).flip());
            changed.set(at);
        }
        v.flush();
        return changed.cardinality() * 4096L;
    }

    /** Size and CRC32C of every byte (CRC32C runs at memory speed; a test compares random data, not adversaries). */
    private static String digest(Vdisk v) {
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocateDirect(4 << 20);
        for (long at = 0; at < v.size(); at += b.capacity()) {
            b.clear();
            v.read(at, b);
            crc.update(b.flip());
        }
        return v.size() + ":" + Long.toHexString(crc.getValue());
    }

    private static SnapshotStreams nothing() {
        return (SnapshotStreams) Proxy.newProxyInstance(
                SnapshotStreams.class.getClassLoader(), new Class<?>[] {SnapshotStreams.class}, (p, m, a) -> {
                    throw new AssertionError("the agent was asked " + m.getName());
                });
    }

    /** The source's replication, printing each export's start and each data chunk it serves. */
    private record Printing(ReplicaSourceApi source, PrintStream out) implements ReplicaSourceApi {
        @Override
        public Iterator<ReplicaChunk> export(String base, String snap, long from) {
            out.println("EXPORT " + from);
            Iterator<ReplicaChunk> it = source.export(base, snap, from);
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public ReplicaChunk next() {
                    ReplicaChunk c = it.next();
                    if (c.hasData()) {
                        out.println("CHUNK " + c.offset() + " " + c.length());
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
