package dev.vdisk.kube.agentapi;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two node agents, each its own JVM with its own pool ({@link ReplicaAgentChild}), the target pulling over the real
 * replication service of the agent API (loopback, the token check against a mock API server) through a forwarder that
 * can drop connections: a seed of a 1 GiB snapshot with random data, zeros and holes, then three deltas of random
 * 4 KiB blocks over 1 % of it, each byte-identical (CRC32C of every byte of both snapshots). The source SIGKILLed mid-seed, the
 * target SIGKILLed mid-delta and every connection dropped mid-delta: each pull resumes from the target's cursor, and
 * the bytes the source served (counted chunk by chunk across its processes) show what was sent twice. Deleting the
 * source's pool leaves the replica readable and clonable.
 */
@EnableKubernetesMockClient
class ReplicaAgentsTest {
    private static final long MIB = 1L << 20;
    private static final Pattern ANSWER = Pattern.compile("(PORT|READY|WROTE|OK|DIGEST|PULLED|STATUS|ERROR)\\b");

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    private final List<Agent> agents = new ArrayList<>();
    private DroppableTcpProxy proxy;
    private Path token;

    @BeforeEach
    void setUp() throws IOException {
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
                            .withUsername("system:serviceaccount:kube-system:vdisk-csi-node")
                            .endUser()
                            .endStatus()
                            .build();
                })
                .always();
        token = dir.resolve("token");
        Files.writeString(token, TestTokens.jwt("node", Instant.now().plusSeconds(3600)));
    }

    @AfterEach
    void tearDown() throws IOException {
        for (Agent a : agents) {
            a.kill();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void twoAgentsReplicateThroughKillsAndDropsWithoutResending() throws Exception {
        Path srcPool = dir.resolve("node-a");
        Path dstPool = dir.resolve("node-b");
        Agent src = source(srcPool);
        proxy = new DroppableTcpProxy(src.port);
        String via = "127.0.0.1:" + proxy.port();
        Agent dst = target(dstPool);

        // seed, the source SIGKILLed mid-stream and started again on its pool
        long written = Long.parseLong(src.ask("seed 19 40", "WROTE"));
        src.ask("snapshot snap-0", "OK");
        String digest0 = src.ask("digest snap-0", "DIGEST");
        dst.send("pull pvc-1 snap-0 pvc-1.snap-0 " + 160 * MIB + " " + via);
        await(() -> src.dataBytes() > 100 * MIB, "the seed to pass 100 MiB");
        src.kill();
        Agent src2 = source(srcPool);
        proxy.retarget(src2.port);
        String[] pulled = dst.ask("", "PULLED", 120).split(" ");
        assertEquals("DONE", pulled[0], String.join(" ", pulled));
        assertTrue(Integer.parseInt(pulled[2]) >= 2, "the seed took another connection: " + pulled[2]);
        long resent = resentBytes(src.chunks, src2.chunks);
        assertTrue(src2.exports.getFirst() > 0, "the new source resumed at " + src2.exports);
        // what the killed source had put in socket buffers never arrived: only that may travel twice
        assertTrue(resent <= 16 * MIB, resent + " bytes sent again after the source's SIGKILL");
        long seedSent = src.dataBytes() + src2.dataBytes();
        assertTrue(seedSent <= written + resent, seedSent + " bytes sent for " + written + " written");
        assertEquals(digest0, dst.ask("digest pvc-1.snap-0", "DIGEST"), "seed");

        // delta 1, the target SIGKILLed mid-stream and started again: resumes from its durable cursor
        long changed1 = Long.parseLong(src2.ask("blocks 1 0.01", "WROTE"));
        src2.ask("snapshot snap-1", "OK");
        src2.reset();
        dst.send("pull pvc-1 snap-1 pvc-1.snap-1 " + 2 * MIB + " " + via);
        while (Long.parseLong(dst.ask("status pvc-1", "STATUS").split(" ")[1]) == 0) {
            Thread.sleep(100); // until the target records a cursor (every 2 s)
        }
        dst.kill();
        List<long[]> before = List.copyOf(src2.chunks);
        src2.reset();
        Agent dst2 = target(dstPool);
        long durable = Long.parseLong(dst2.ask("status pvc-1", "STATUS").split(" ")[1]);
        assertTrue(durable > 0, "the killed target had recorded a cursor");
        dst2.send("pull pvc-1 snap-1 pvc-1.snap-1 0 " + via);
        assertEquals("DONE", dst2.ask("", "PULLED", 120).split(" ")[0]);
        assertEquals(durable, src2.exports.getFirst(), "the restarted target asked from its durable cursor");
        long resent1 = resentBytes(before, src2.chunks);
        long window = before.stream()
                .filter(c -> c[0] >= durable)
                .mapToLong(c -> c[1])
                .sum();
        assertTrue(resent1 <= window, resent1 + " bytes sent again, only " + window + " were past the cursor");
        long sent1 = sum(before) + src2.dataBytes();
        assertTrue(sent1 <= changed1 * 1.1 + resent1, "delta 1: " + sent1 + " bytes sent for " + changed1);
        assertEquals(src2.ask("digest snap-1", "DIGEST"), dst2.ask("digest pvc-1.snap-1", "DIGEST"), "delta 1");

        // delta 2, every connection dropped mid-stream: resumes from the applied cursor
        long changed2 = Long.parseLong(src2.ask("blocks 2 0.01", "WROTE"));
        src2.ask("snapshot snap-2", "OK");
        src2.reset();
        dst2.send("pull pvc-1 snap-2 pvc-1.snap-2 " + 4 * MIB + " " + via);
        await(() -> src2.dataBytes() > 4 * MIB, "delta 2 to pass 4 MiB");
        proxy.drop();
        List<long[]> beforeDrop = List.copyOf(src2.chunks);
        pulled = dst2.ask("", "PULLED", 120).split(" ");
        assertEquals("DONE", pulled[0]);
        assertTrue(Integer.parseInt(pulled[2]) >= 2, "the drop broke the stream");
        assertTrue(src2.exports.size() >= 2 && src2.exports.get(1) > 0, "resumed at " + src2.exports);
        List<long[]> afterDrop = src2.chunks.subList(beforeDrop.size(), src2.chunks.size());
        long resent2 = resentBytes(beforeDrop, afterDrop);
        assertTrue(resent2 <= 16 * MIB, resent2 + " bytes sent again after the drop (lost in flight)");
        long sent2 = src2.dataBytes();
        assertTrue(sent2 <= changed2 * 1.1 + resent2, "delta 2: " + sent2 + " bytes sent for " + changed2);
        assertEquals(src2.ask("digest snap-2", "DIGEST"), dst2.ask("digest pvc-1.snap-2", "DIGEST"), "delta 2");

        // delta 3, undisturbed: the bytes sent are the bytes changed
        long changed3 = Long.parseLong(src2.ask("blocks 3 0.01", "WROTE"));
        src2.ask("snapshot snap-3", "OK");
        src2.reset();
        dst2.send("pull pvc-1 snap-3 pvc-1.snap-3 0 " + via);
        assertEquals("DONE", dst2.ask("", "PULLED", 120).split(" ")[0]);
        long sent3 = src2.dataBytes();
        assertTrue(
                sent3 >= changed3 * 0.9 && sent3 <= changed3 * 1.1,
                "delta 3: " + sent3 + " bytes sent for " + changed3 + " changed");
        String digest3 = src2.ask("digest snap-3", "DIGEST");
        assertEquals(digest3, dst2.ask("digest pvc-1.snap-3", "DIGEST"), "delta 3");
        System.out.printf(
                "replica agents: seed %d MiB written, %d MiB sent, %d KiB resent after the source's SIGKILL;"
                        + " delta 1 %d KiB changed, %d KiB sent (%d KiB past the cursor at the target's SIGKILL);"
                        + " delta 2 %d KiB changed, %d KiB sent (%d KiB again after the drop);"
                        + " delta 3 %d KiB changed, %d KiB sent%n",
                written / MIB,
                seedSent / MIB,
                resent / 1024,
                changed1 / 1024,
                sent1 / 1024,
                window / 1024,
                changed2 / 1024,
                sent2 / 1024,
                resent2 / 1024,
                changed3 / 1024,
                sent3 / 1024);

        // the source node's pool is gone: the replica still reads the same, and a volume can be cloned from it
        src2.kill();
        deleteTree(srcPool);
        assertEquals(digest3, dst2.ask("digest pvc-1.snap-3", "DIGEST"), "the replica without its source");
        assertEquals(digest3, dst2.ask("clone pvc-1.snap-3 restored", "DIGEST"), "a clone of the replica");
    }

    /** Data bytes of {@code after} at offsets that {@code before} had already sent (a re-sent range). */
    private static long resentBytes(List<long[]> before, List<long[]> after) {
        long sentUpTo = before.stream().mapToLong(c -> c[0] + c[1]).max().orElse(0);
        return after.stream()
                .filter(c -> c[0] < sentUpTo)
                .mapToLong(c -> Math.min(c[1], sentUpTo - c[0]))
                .sum();
    }

    private static long sum(List<long[]> chunks) {
        return chunks.stream().mapToLong(c -> c[1]).sum();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    private Agent source(Path pool) throws IOException, InterruptedException {
        Agent a = new Agent("source", pool.toString(), client.getMasterUrl().toString());
        a.port = Integer.parseInt(a.ask("", "PORT", 60));
        return a;
    }

    private Agent target(Path pool) throws IOException, InterruptedException {
        Agent a = new Agent("target", pool.toString(), token.toString());
        a.ask("", "READY", 60);
        return a;
    }

    /** One agent JVM: commands in, answers queued, the chunks and exports it served counted. */
    private final class Agent {
        final Process process;
        final PrintStream in;
        final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        final List<long[]> chunks = new CopyOnWriteArrayList<>();
        final List<Long> exports = new CopyOnWriteArrayList<>();
        final Thread reader;
        int port;

        Agent(String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(
                    ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED",
                    "-Xshare:auto",
                    "-Xmx256m",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp",
                    System.getProperty("java.class.path"),
                    ReplicaAgentChild.class.getName()));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            agents.add(this);
            in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
            reader = Thread.ofVirtual().start(() -> {
                try (BufferedReader r =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.startsWith("CHUNK ")) {
                            String[] f = line.split(" ");
                            chunks.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                        } else if (line.startsWith("EXPORT ")) {
                            exports.add(Long.parseLong(line.substring(7)));
                        } else if (ANSWER.matcher(line).lookingAt()) {
                            answers.add(line);
                        } // else the agent's log
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }

        long dataBytes() {
            return sum(chunks);
        }

        void reset() {
            chunks.clear();
            exports.clear();
        }

        void send(String command) {
            in.println(command);
        }

        String ask(String command, String answer) throws InterruptedException {
            return ask(command, answer, 120);
        }

        /** Sends {@code command} (none if empty) and returns the rest of the answer line starting with {@code answer}. */
        String ask(String command, String answer, int seconds) throws InterruptedException {
            if (!command.isEmpty()) {
                send(command);
            }
            String line = answers.poll(seconds, TimeUnit.SECONDS);
            assertNotNull(line, "no " + answer + " from the agent within " + seconds + " s after '" + command + "'");
            assertTrue(line.startsWith(answer), "'" + command + "' answered " + line);
            return line.substring(answer.length()).trim();
        }

        void kill() {
            if (process.isAlive()) {
                process.destroyForcibly(); // SIGKILL
            }
            try {
                process.waitFor(30, TimeUnit.SECONDS);
                reader.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
