package dev.vdisk.node.metrics;

import dev.vdisk.node.fuse.FuseOp;
import dev.vdisk.node.fuse.FuseRequestObserver;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.concurrent.atomic.LongAdder;

/**
 * The data path's meters, per {@link FuseOp} ({@code op} label: read, write, flush, fsync, fallocate):
 * {@code vdisk_fuse_requests_seconds} (histogram: count and latency from the request's arrival in user space to
 * its reply), {@code vdisk_fuse_bytes_total} (payload bytes; for fallocate the bytes discarded) and
 * {@code vdisk_fuse_errors_total} (requests answered EIO because the backend threw).
 *
 * <p>Hot path: one {@link OpStats} per op, made once, holding only {@link LongAdder}s. A request costs a short
 * bucket search and two or three adder increments: no allocation, no lookup, and no shared atomic word that every
 * worker would write (micrometer's Timer keeps its max and its time-window histogram in shared atomics, and
 * Prometheus' own Histogram counts every observation in one AtomicLong). A scrape sums the adders into snapshots
 * registered as a collector on the process registry's Prometheus side, so they come out with micrometer's meters.
 */
public final class DataPathMetrics implements FuseRequestObserver {

    static final String REQUESTS = "vdisk_fuse_requests_seconds";
    static final String BYTES = "vdisk_fuse_bytes";
    static final String ERRORS = "vdisk_fuse_errors";
    /** Upper bounds in ns, from a memory backend's few microseconds to a disk's tens of ms and a stuck flush. */
    static final long[] BOUNDS_NANOS = {
        10_000,
        25_000,
        50_000,
        100_000,
        250_000,
        500_000,
        1_000_000,
        2_500_000,
        5_000_000,
        10_000_000,
        25_000_000,
        50_000_000,
        100_000_000,
        250_000_000,
        1_000_000_000,
        5_000_000_000L
    };

    private static final double[] BOUNDS_SECONDS = boundsInSeconds();

    /** One op's counts; every field is written by the workers and only read by scrapes. */
    private static final class OpStats {
        final Labels labels;
        /** {@code buckets[i]}: requests that took at most {@code BOUNDS_NANOS[i]} and more than the bound before. */
        final LongAdder[] buckets = new LongAdder[BOUNDS_NANOS.length + 1];

        final LongAdder nanos = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder errors = new LongAdder();

        OpStats(FuseOp op) {
            labels = Labels.of("op", op.label());
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        void record(long n, long elapsed) {
            int i = 0;
            while (i < BOUNDS_NANOS.length && elapsed > BOUNDS_NANOS[i]) {
                i++;
            }
            buckets[i].increment();
            nanos.add(elapsed);
            if (n > 0) {
                bytes.add(n);
            }
        }

        long count() {
            long c = 0;
            for (LongAdder b : buckets) {
                c += b.sum();
            }
            return c;
        }
    }

    private final OpStats[] stats;

    /** Registers the meters with {@code registry}; they are served with everything else it holds. */
    public DataPathMetrics(PrometheusMeterRegistry registry) {
        FuseOp[] ops = FuseOp.values();
        stats = new OpStats[ops.length];
        for (FuseOp op : ops) {
            stats[op.ordinal()] = new OpStats(op);
        }
        registry.getPrometheusRegistry().register(this::collect);
    }

    @Override
    public void served(FuseOp op, long n, long nanos) {
        stats[op.ordinal()].record(n, nanos);
    }

    @Override
    public void failed(FuseOp op) {
        stats[op.ordinal()].errors.increment();
    }

    /** Requests of {@code op} answered so far (tests, and the scrape through {@link #collect}). */
    long requests(FuseOp op) {
        return stats[op.ordinal()].count();
    }

    long bytes(FuseOp op) {
        return stats[op.ordinal()].bytes.sum();
    }

    long nanos(FuseOp op) {
        return stats[op.ordinal()].nanos.sum();
    }

    long errors(FuseOp op) {
        return stats[op.ordinal()].errors.sum();
    }

    private MetricSnapshots collect() {
        HistogramSnapshot.Builder latency =
                HistogramSnapshot.builder().name(REQUESTS).help("FUSE data-path requests answered, by latency");
        CounterSnapshot.Builder bytes = CounterSnapshot.builder()
                .name(BYTES)
                .help("payload bytes moved by FUSE requests (fallocate: bytes discarded)");
        CounterSnapshot.Builder errors = CounterSnapshot.builder().name(ERRORS).help("FUSE requests answered EIO");
        for (OpStats s : stats) {
            long[] counts = new long[s.buckets.length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = s.buckets[i].sum();
            }
            latency.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .labels(s.labels)
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS_SECONDS, counts))
                    .sum(s.nanos.sum() / 1e9)
                    .build());
            bytes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(s.labels)
                    .value(s.bytes.sum())
                    .build());
            errors.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(s.labels)
                    .value(s.errors.sum())
                    .build());
        }
        return MetricSnapshots.of(latency.build(), bytes.build(), errors.build());
    }

    private static double[] boundsInSeconds() {
        double[] b = new double[BOUNDS_NANOS.length + 1];
        for (int i = 0; i < BOUNDS_NANOS.length; i++) {
            b[i] = BOUNDS_NANOS[i] / 1e9;
        }
        b[BOUNDS_NANOS.length] = Double.POSITIVE_INFINITY;
        return b;
    }
}
