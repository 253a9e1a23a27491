package dev.vdisk.bench;

import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.Vdisk;
import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitPhase;
import dev.vdisk.engine.split.SplitProgress;
import dev.vdisk.engine.split.SplitTask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Engine side of {@code e2e/bench/split.sh}. Prints {@code RESULT name value unit}.
 *
 * <pre>
 * SplitBench POOL_DIR SIZE PERCENT RATE SECONDS
 * </pre>
 *
 * Environment: {@code SPLIT_REPEAT} (default 1) COPY splits, each paired with a run of {@code SPLIT_PEER} (a command
 * given the round number, whose last output line is its time in ms: split.sh's qemu-img rebase), the pair's order
 * alternating; {@code SPLIT_QUIET}, a command run before each timed operation (default {@code sync}).
 *
 * <p>A SIZE vdisk fully written with random data, a snapshot, SPLIT_REPEAT + 2 clones plus {@link #WARMUPS} more with PERCENT of
 * their segments rewritten at random (destaged). First an untimed warm-up: SHARE splits of the extra clones, so that
 * the timed splits run on a warm engine as in the node agent, a long-running JVM that splits many clones (the first
 * split of a fresh JVM spends most of its time interpreting the fill loop, and the compiler threads need CPU time to
 * finish on a busy machine). Then times a SHARE split of one and the COPY splits
 * of others, each from {@code split} to DONE (including its consistency points, so the fills and the copied data
 * are durable). Then the foreground read latency: one thread
 * reads random 4 KiB blocks of the third clone back to back for SECONDS with no split running, then for SECONDS
 * while a COPY split of that clone runs throttled to RATE bytes/s (cancelled afterwards), then for SECONDS with no
 * split again; p50/p99/p999 during the split and of both windows without (the machine's load drifts).
 */
public final class SplitBench {
    private static final int SEG = 64 * 1024;
    private static final int BLOCK = 4096;
    /** Untimed SHARE splits before the timed ones. */
    private static final int WARMUPS = 3;

    private SplitBench() {}

    public static void main(String[] a) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Path dir = Path.of(a[0]);
        long size = ByteSize.parse(a[1]).bytes();
        double percent = Double.parseDouble(a[2]);
        long rate = ByteSize.parse(a[3]).bytes();
        double seconds = Double.parseDouble(a[4]);
        int repeat = Integer.parseInt(env("SPLIT_REPEAT", "1"));
        String peer = env("SPLIT_PEER", null);
        String quiet = env("SPLIT_QUIET", null);
        // room for the COPY splits, the throttled one's up-front space check and the base
        try (Pool pool = Pool.create(
                dir,
                new PoolSpec((2 + repeat) * size + size / 4 + (512L << 20), SEG, null, null),
                PoolOptions.defaults())) {
            setUp(pool, size, percent, repeat);
            for (int i = 0; i < WARMUPS; i++) {
                long w0 = System.nanoTime();
                SplitProgress warm = pool.splits()
                        .start("cwarm" + i, SplitMode.SHARE, SplitOptions.defaults())
                        .await(Duration.ofHours(1));
                if (warm.phase() != SplitPhase.DONE) {
                    throw new IllegalStateException("warm-up split ended " + warm);
                }
                System.out.printf(Locale.ROOT, "RESULT split-warmup%d-ms %.1f ms%n", i, (System.nanoTime() - w0) / 1e6);
            }
            settle(quiet);
            timedSplit(pool, "cshare", SplitMode.SHARE, "split-share");
            for (int r = 0; r < repeat; r++) {
                // alternate who goes first: neither peer always inherits the other's leftovers
                boolean copyFirst = r % 2 == 0;
                for (int k = 0; k < 2; k++) {
                    settle(quiet);
                    if (copyFirst == (k == 0)) {
                        timedSplit(pool, "ccopy" + r, SplitMode.COPY, "split-copy-" + r);
                    } else if (peer != null) {
                        System.out.printf(Locale.ROOT, "RESULT peer-ms-%d %s ms%n", r, runPeer(peer, r));
                    }
                }
            }
            foregroundLatency(pool, pool.vdisks().get("cread"), size, rate, seconds);
            if (!pool.check().clean()) {
                throw new IllegalStateException(
                        "check after the splits: " + pool.check().problems());
            }
        }
    }

    private static String env(String name, String otherwise) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? otherwise : v;
    }

    /** Times a split of {@code clone} from {@code split} to DONE; prints its time, fills and phases as {@code key}. */
    private static void timedSplit(Pool pool, String clone, SplitMode mode, String key) {
        long t0 = System.nanoTime();
        SplitTask t = pool.splits().start(clone, mode, SplitOptions.defaults());
        SplitProgress p = t.await(Duration.ofHours(1));
        long ns = System.nanoTime() - t0;
        if (p.phase() != SplitPhase.DONE) {
            throw new IllegalStateException("split of " + clone + " ended " + p);
        }
        System.out.printf(Locale.ROOT, "RESULT %s-ms %.1f ms%n", key, ns / 1e6);
        System.out.printf(Locale.ROOT, "RESULT %s-filled %d segments%n", key, p.segmentsFilled());
        System.out.printf(Locale.ROOT, "RESULT %s-phases %s%n", key, t.times());
    }

    /** Runs the peer's command for round {@code r} ({@code sh -c "PEER r"}); its last output line is its time in ms. */
    private static String runPeer(String peer, int r) {
        try {
            Process p = new ProcessBuilder("sh", "-c", peer + " " + r)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0 || out.isEmpty()) {
                throw new IllegalStateException(
                        "peer command " + peer + " " + r + " failed (exit " + p.exitValue() + "): " + out);
            }
            return out.substring(out.lastIndexOf('\n') + 1).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Before each timed operation: the {@code quiet} command (e2e/bench/quiet-disk.sh: sync, fstrim, wait for the
     * disk's I/O pressure to settle), or else {@code sync}, as split.sh used to do before timing qemu-img. Each timed
     * operation then starts with nothing dirty instead of racing the writeback of the gigabytes the setup (or the
     * previous split) left in the page cache, or the discards of deleted files.
     */
    private static void settle(String quiet) {
        try {
            Process p = new ProcessBuilder("sh", "-c", quiet == null ? "sync" : quiet)
                    .inheritIO()
                    .start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException(
                        (quiet == null ? "sync" : quiet) + " failed with exit code " + p.exitValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void setUp(Pool pool, long size, double percent, int repeat) {
        pool.vdisks().create("v", size);
        Random rnd = new Random(1);
        BenchData.fill(pool.vdisks().get("v"), size, rnd);
        pool.snapshots().take("v", "s");
        long segs = size / SEG;
        int changed = (int) Math.round(segs * percent / 100);
        List<String> clones = new ArrayList<>(List.of("cshare", "cread"));
        for (int r = 0; r < repeat; r++) {
            clones.add("ccopy" + r);
        }
        for (int i = 0; i < WARMUPS; i++) {
            clones.add("cwarm" + i); // after the timed ones: they get the same random rewrites as before
        }
        for (String c : clones) {
            pool.snapshots().clone("s", c);
            BenchData.rewriteSegments(pool.vdisks().get(c), SEG, segs, changed, rnd);
        }
        pool.drain();
    }

    /** Random 4 KiB reads of {@code clone}: idle, then during a throttled COPY split of it. */
    private static void foregroundLatency(Pool pool, Vdisk clone, long size, long rate, double seconds) {
        long window = (long) (seconds * 1e9);
        readFor(clone, size, 1_000_000_000L, 1); // warm-up (JIT of the read path)
        long[] idle = readFor(clone, size, window, 2);
        SplitTask t = pool.splits()
                .start(clone.name(), SplitMode.COPY, SplitOptions.defaults().withRate(rate));
        long[] busy = readFor(clone, size, window, 3);
        SplitProgress p = t.progress();
        t.cancel();
        SplitProgress end = t.await(Duration.ofMinutes(5));
        if (p.phase() != SplitPhase.FILLING || end.phase() != SplitPhase.CANCELLED) {
            throw new IllegalStateException(
                    "the throttled split was not running throughout the window: " + p + " then " + end);
        }
        System.out.printf(
                Locale.ROOT,
                "RESULT fg-split-rate %.1f MiB/s (%d MiB copied in the window)%n",
                p.bytesPerSecond() / 1048576,
                p.bytesRelocated() >> 20);
        long[] after = readFor(clone, size, window, 4);
        report("idle", merged(idle, after));
        report("split", busy);
    }

    private static long[] readFor(Vdisk clone, long size, long nanos, long seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
        Random rnd = new Random(seed);
        long blocks = size / BLOCK;
        long[] lat = new long[1 << 16];
        int n = 0;
        long end = System.nanoTime() + nanos;
        for (long t0 = System.nanoTime(); t0 < end; ) {
            b.clear();
            clone.read(rnd.nextLong(blocks) * BLOCK, b);
            long t1 = System.nanoTime();
            if (n == lat.length) {
                lat = Arrays.copyOf(lat, n * 2);
            }
            lat[n++] = t1 - t0;
            t0 = t1;
        }
        long[] out = Arrays.copyOf(lat, n);
        Arrays.sort(out);
        return out;
    }

    private static long[] merged(long[] a, long[] b) {
        long[] m = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, m, a.length, b.length);
        Arrays.sort(m);
        return m;
    }

    private static void report(String what, long[] sorted) {
        System.out.printf(
                Locale.ROOT,
                "RESULT fg-read-%s %d reads p50 %.1f p99 %.1f p999 %.1f us%n",
                what,
                sorted.length,
                pct(sorted, 0.50),
                pct(sorted, 0.99),
                pct(sorted, 0.999));
    }

    private static double pct(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e3;
    }
}
