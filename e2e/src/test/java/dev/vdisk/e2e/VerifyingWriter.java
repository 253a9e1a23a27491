package dev.vdisk.e2e;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An application on a volume, as the user ran it: one thread writing {@link StampedBlock}s with O_DIRECT to
 * random slots of a region (a preallocated file on a file system, or a range of a block device), each followed by
 * fdatasync; a write counts as acknowledged once both returned. Every fourth operation it reads back an acknowledged
 * slot (O_DIRECT) and checks it holds that write or a later one; {@link #stop} checks every slot the same way.
 * I/O errors are counted and the writer goes on with the same descriptor, as an application would (so a failing
 * volume shows all its errors: EIO, then EROFS). Each operation's
 * latency is recorded: the longest is the pause a restart causes.
 *
 * <p>Threading: the writer's own thread does all I/O and owns {@code acked}; {@link #stop} joins it before the final
 * check and before reading the counters.
 */
final class VerifyingWriter implements AutoCloseable {
    private static final int MAX_MESSAGES = 5;
    private static final Duration THINK = Duration.ofMillis(5);

    private final String volume;
    private final Path path;
    private final long base;
    private final int slots;
    private final long[] acked;
    private final Thread thread;
    private final List<Long> latencies = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final List<String> lost = new ArrayList<>();
    private long errorCount;
    private long lostCount;
    private long acknowledged;
    private long reads;
    private final long started = System.nanoTime();
    /** Longest operation since {@link #takeLongest} last ran; written by the writer's thread, read by any. */
    private final AtomicLong windowLongest = new AtomicLong();

    private volatile boolean stopping;
    private volatile boolean abandoned;

    private VerifyingWriter(String volume, Path path, long base, int slots) {
        this.volume = volume;
        this.path = path;
        this.base = base;
        this.slots = slots;
        this.acked = new long[slots];
        // a daemon: a writer stuck on a dead volume after a failed test must not keep the test JVM alive
        this.thread = Thread.ofPlatform().name("writer-" + volume).daemon().unstarted(this::run);
    }

    /** Starts writing to {@code slots} blocks of {@code path} from byte {@code base}; the region must exist. */
    static VerifyingWriter start(String volume, Path path, long base, int slots) {
        VerifyingWriter w = new VerifyingWriter(volume, path, base, slots);
        w.thread.start();
        return w;
    }

    private void run() {
        SplittableRandom random = new SplittableRandom(volume.hashCode());
        ByteBuffer block = ByteBuffer.allocateDirect(2 * StampedBlock.SIZE)
                .alignedSlice(StampedBlock.SIZE)
                .limit(StampedBlock.SIZE)
                .slice();
        FileChannel channel = null;
        long sequence = 0;
        while (!stopping) {
            try {
                if (channel == null) {
                    channel = open();
                }
                int slot = random.nextInt(slots);
                long seq = ++sequence;
                new StampedBlock(seq, offset(slot)).writeTo(block);
                long start = System.nanoTime();
                try {
                    writeFully(channel, block, offset(slot));
                    channel.force(false);
                    acked[slot] = seq;
                    acknowledged++;
                } finally {
                    record(System.nanoTime() - start);
                }
                if (seq % 4 == 0) {
                    int check = random.nextInt(slots);
                    if (acked[check] != 0) {
                        start = System.nanoTime();
                        try {
                            verify(channel, block, check);
                        } finally {
                            record(System.nanoTime() - start);
                        }
                    }
                }
                TimeUnit.NANOSECONDS.sleep(THINK.toNanos());
            } catch (IOException e) {
                error(e);
                sleepQuietly();
            } catch (InterruptedException e) {
                break;
            }
        }
        try {
            if (abandoned) {
                return;
            }
            if (channel == null) {
                channel = open();
            }
            for (int slot = 0; slot < slots && !abandoned; slot++) {
                if (acked[slot] != 0) {
                    verify(channel, block, slot);
                }
            }
        } catch (IOException e) {
            error(e);
        } finally {
            closeQuietly(channel);
        }
    }

    private void record(long nanos) {
        latencies.add(nanos);
        windowLongest.accumulateAndGet(nanos, Math::max);
    }

    /** The longest operation that finished since the last call (the pause of a restart in between), and resets it. */
    Duration takeLongest() {
        return Duration.ofNanos(windowLongest.getAndSet(0));
    }

    private FileChannel open() throws IOException {
        return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
    }

    private long offset(int slot) {
        return base + (long) slot * StampedBlock.SIZE;
    }

    private void verify(FileChannel channel, ByteBuffer block, int slot) throws IOException {
        block.clear();
        while (block.hasRemaining()) {
            if (channel.read(block, offset(slot) + block.position()) < 0) {
                throw new IOException("end of " + path + " at slot " + slot);
            }
        }
        reads++;
        try {
            Optional<StampedBlock> found = StampedBlock.read(block, offset(slot));
            long seq = found.map(StampedBlock::sequence).orElse(0L);
            if (seq < acked[slot]) {
                lost("slot " + slot + " holds write " + seq + ", write " + acked[slot] + " was acknowledged");
            }
        } catch (IllegalStateException e) {
            lost(e.getMessage() + " (acknowledged: write " + acked[slot] + ")");
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer block, long offset) throws IOException {
        block.rewind();
        while (block.hasRemaining()) {
            channel.write(block, offset + block.position());
        }
    }

    /** Counts the error; keeps the first of each distinct message, with when it came (seconds since the start). */
    private void error(IOException e) {
        errorCount++;
        String message = String.valueOf(e.getMessage());
        if (errors.size() < MAX_MESSAGES && errors.stream().noneMatch(m -> m.endsWith(": " + message))) {
            errors.add(String.format("at %.1f s: %s", (System.nanoTime() - started) / 1e9, message));
        }
    }

    private void lost(String message) {
        lostCount++;
        if (lost.size() < MAX_MESSAGES) {
            lost.add(message);
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // the report has what matters
            }
        }
    }

    /** Stops writing, checks every acknowledged slot, and says what it saw. */
    IoReport stop() throws InterruptedException {
        stopping = true;
        thread.join(Duration.ofSeconds(60));
        if (thread.isAlive()) {
            throw new AssertionError("writer of " + volume + " still blocked 60 s after stop (I/O hangs)");
        }
        long[] sorted = latencies.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return new IoReport(
                volume,
                acknowledged,
                reads,
                errorCount,
                List.copyOf(errors),
                lostCount,
                List.copyOf(lost),
                Duration.ofNanos(percentile(sorted, 1.0)),
                Duration.ofNanos(percentile(sorted, 0.5)),
                Duration.ofNanos(percentile(sorted, 0.99)));
    }

    private static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    }

    /** For cleanup after a failure: stops without waiting long. */
    @Override
    public void close() {
        abandoned = true;
        stopping = true;
        thread.interrupt();
    }
}
