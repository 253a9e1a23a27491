package dev.vdisk.node.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.nio.file.ExtendedOpenOption;
import dev.vdisk.node.backend.FileBackend;
import dev.vdisk.node.loop.LoopDevice;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import dev.vdisk.node.testing.TestHolder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hand-over of a live data path between processes, on a real kernel: a child JVM ({@link HandoverChild}) serves a
 * file through FUSE and a loop device and keeps its descriptors in this test's {@link TestHolder}; the test does
 * O_DIRECT writes, fsyncs and verifying reads on the loop device, stops the child (SIGKILL, or SIGTERM: the gate)
 * mid-I/O, takes the data path over in this JVM, and the I/O goes on with no error and the data intact.
 */
@ExtendWith(Privileged.class)
class DataPathHandoverTest {
    private static final Path ROOT = Path.of("target/handover-tests").toAbsolutePath();
    private static final long SIZE = 64L << 20;
    private static final int BLOCK = 4096, BLOCKS = 4096; // I/O over the first 16 MiB

    private Path dir;
    private final TestHolder holder = new TestHolder();
    private Process child;
    private DataPath adopted;
    private FileBackend backend;

    @BeforeEach
    void setUp(TestInfo info) throws IOException {
        dir = ROOT.resolve(info.getDisplayName().replaceAll("[^A-Za-z0-9]", "") + "-" + System.nanoTime());
        Files.createDirectories(dir);
        try (FileChannel f =
                FileChannel.open(dir.resolve("backing.img"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            f.truncate(0);
        }
        backend = FileBackend.open(dir.resolve("backing.img"), SIZE, false);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (child != null) {
                child.destroyForcibly();
                child.waitFor(30, TimeUnit.SECONDS);
            }
            if (adopted != null) {
                for (DataPath.AttachedVolume v : adopted.attached()) {
                    adopted.detach(v.volumeId());
                }
                adopted.close(); // nothing attached: unmounts and drops the fuse entry
                assertEquals(List.of(), holder.names(), "a stop with nothing attached leaves no entry");
            }
        } finally {
            holder.close(); // a connection nobody holds any more ends; AUTOCLEAR detaches its loops
            if (Files.isDirectory(dir.resolve("fuse"))) {
                Command.tryRun(60, "umount", "-l", dir.resolve("fuse").toString());
            }
            backend.close();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!LoopDevice.attached().stream()
                            .filter(l -> l.backingFile().startsWith(dir))
                            .toList()
                            .isEmpty()
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            LeakCheck.assertNothingLeftUnder(dir);
        }
    }

    /** Starts the child and returns its loop device once it is attached and handed to the holder. */
    private Path startChild() throws Exception {
        child = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElseThrow(),
                        "--enable-native-access=ALL-UNNAMED",
                        "-Xshare:auto",
                        "-cp",
                        System.getProperty("java.class.path"),
                        HandoverChild.class.getName(),
                        dir.toString(),
                        Long.toString(SIZE))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        CompletableFuture<String> device = new CompletableFuture<>();
        CompletableFuture<Void> served = holder.serve(child, line -> {
            if (line.startsWith("@@@ DEVICE ")) {
                device.complete(line.substring(11));
            }
        });
        served.whenComplete((v, e) -> device.completeExceptionally(new AssertionError(
                "the child ended before attaching (exit "
                        + child.onExit().join().exitValue() + ")",
                e)));
        String[] answer = device.get(120, TimeUnit.SECONDS).split(" ");
        assertEquals("true", answer[1], "the child hands over (kernel 6.9+ resends FUSE requests)");
        assertTrue(
                holder.names().contains("fuse") && holder.names().contains("loop/vol-1"),
                holder.names().toString());
        return Path.of(answer[0]);
    }

    /** O_DIRECT writes with an fsync every 16, each followed by a read of a block written before, verified. */
    private static final class Io implements Runnable {
        final FileChannel channel;
        final long[] written = new long[BLOCKS];
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        final AtomicLong ops = new AtomicLong();
        final AtomicLong longestNanos = new AtomicLong();
        /** When the write now in progress started; 0 between writes. */
        volatile long writeSince;

        volatile boolean stop;

        Io(Path device) throws IOException {
            channel = FileChannel.open(
                    device, StandardOpenOption.READ, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
        }

        @Override
        public void run() {
            ByteBuffer buffer =
                    ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK).limit(BLOCK);
            for (long i = 1; !stop; i++) {
                int block = (int) ((i * 7919) % BLOCKS);
                try {
                    buffer.clear();
                    while (buffer.hasRemaining()) {
                        buffer.putLong(i * BLOCKS + block);
                    }
                    writeSince = System.nanoTime();
                    timed(() -> channel.write(buffer.flip(), (long) block * BLOCK));
                    writeSince = 0;
                    written[block] = i;
                    if (i % 16 == 0) {
                        timed(() -> channel.force(false));
                    }
                    int check = (int) (((i / 2) * 7919) % BLOCKS);
                    buffer.clear();
                    timed(() -> channel.read(buffer, (long) check * BLOCK));
                    String bad = verify(buffer.flip(), check);
                    if (bad != null) {
                        errors.add(bad);
                    }
                } catch (IOException e) {
                    errors.add("op " + i + " on block " + block + ": " + e);
                }
            }
        }

        String verify(ByteBuffer b, int block) {
            long want = written[block] == 0 ? 0 : written[block] * BLOCKS + block;
            while (b.hasRemaining()) {
                long got = b.getLong();
                if (got != want) {
                    return "block " + block + " holds " + got + ", wrote " + want;
                }
            }
            return null;
        }

        interface Op {
            void run() throws IOException;
        }

        void timed(Op op) throws IOException {
            long start = System.nanoTime();
            op.run();
            longestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
            ops.incrementAndGet();
        }

        void verifyAll() throws IOException {
            ByteBuffer buffer = ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK);
            for (int block = 0; block < BLOCKS; block++) {
                buffer.clear().limit(BLOCK);
                channel.read(buffer, (long) block * BLOCK);
                String bad = verify(buffer.flip(), block);
                if (bad != null) {
                    errors.add("at the end: " + bad);
                }
            }
        }
    }

    @ParameterizedTest(name = "graceful={0}")
    @ValueSource(booleans = {false, true})
    void ioGoesOnWhenAnotherProcessTakesTheDataPathOver(boolean graceful) throws Exception {
        Path device = startChild();
        Io io = new Io(device);
        Thread ioThread = Thread.ofPlatform().name("handover-io").start(io);
        try {
            Thread.sleep(1500);
            long opsBefore = io.ops.get();
            assertTrue(opsBefore > 0, "I/O ran before the stop");
            // stop while a write has been in the child's hands for 2 ms (each takes 5 ms there): the kill then finds
            // a request read and not answered
            long since;
            while ((since = io.writeSince) == 0 || System.nanoTime() - since < 2_000_000) {
                Thread.onSpinWait();
            }
            long stoppedAt = System.nanoTime();
            if (graceful) {
                child.destroy(); // SIGTERM: the gate, then exit
            } else {
                child.destroyForcibly(); // SIGKILL mid-I/O
            }
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child went away");
            long goneAt = System.nanoTime();
            adopted = DataPath.adopt(HandoverChild.config(), holder, Map.of("vol-1", backend))
                    .orElseThrow(() -> new AssertionError("nothing to take over"));
            long adoptedAt = System.nanoTime();
            assertEquals(
                    Optional.of(device),
                    adopted.find("vol-1").map(DataPath.AttachedVolume::device),
                    "the same loop device, not a new one");
            Thread.sleep(1500);
            io.stop = true;
            ioThread.join(30_000);
            assertFalse(ioThread.isAlive(), "I/O finished after the take-over");
            io.verifyAll();
            assertEquals(List.of(), List.copyOf(io.errors), "no I/O error and no wrong data");
            assertTrue(
                    io.ops.get() > opsBefore + 100,
                    "I/O went on after the take-over: " + io.ops.get() + " ops, " + opsBefore + " before the stop");
            System.out.printf(
                    "hand-over (%s): child gone after %d ms, taken over after %d ms more; %d ops, %d "
                            + "requests sent again, longest I/O pause %d ms%n",
                    graceful ? "SIGTERM" : "SIGKILL",
                    (goneAt - stoppedAt) / 1_000_000,
                    (adoptedAt - goneAt) / 1_000_000,
                    io.ops.get(),
                    adopted.resentRequests(),
                    io.longestNanos.get() / 1_000_000);
            if (!graceful) {
                assertTrue(
                        adopted.resentRequests() > 0,
                        "the kill found a request read and not answered, and the " + "successor answered it");
            }
        } finally {
            io.stop = true;
            if (ioThread.isAlive() && adopted == null) {
                holder.close(); // the connection ends, the blocked I/O fails and the thread ends
            }
            ioThread.join(30_000);
            io.channel.close();
        }
    }

    @Test
    void anImageWhoseVolumeIsGoneAnswersEstale() throws Exception {
        startChild();
        try (FileChannel image = FileChannel.open(dir.resolve("fuse/vol-1"), StandardOpenOption.READ)) {
            assertEquals(BLOCK, image.read(ByteBuffer.allocate(BLOCK), 0));
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            adopted = DataPath.adopt(HandoverChild.config(), holder, Map.of()).orElseThrow();
            assertEquals(List.of(), adopted.attached());
            assertFalse(holder.names().contains("loop/vol-1"), "the loop of a volume no longer served is dropped");
            assertTrue(LoopDevice.findByBackingFile(dir.resolve("fuse/vol-1")).isEmpty(), "and detached");
            IOException e = assertThrows(IOException.class, () -> image.read(ByteBuffer.allocate(BLOCK), 0));
            assertTrue(String.valueOf(e.getMessage()).contains("Stale file handle"), e.toString());
        }
    }
}
