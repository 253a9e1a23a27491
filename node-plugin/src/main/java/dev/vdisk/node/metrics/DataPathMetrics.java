package dev.vdisk.node.metrics;

import dev.vdisk.node.fuse.FuseOp;
import dev.vdisk.node.fuse.FuseRequestObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The data path's meters, per {@link FuseOp} ({@code op} label: read, write, flush, fsync, fallocate):
 * {@code vdisk_fuse_requests_seconds} (histogram: count and latency from the request's arrival in user space to
 * its reply), {@code vdisk_fuse_bytes_total} (payload bytes; for fallocate the bytes discarded) and
 * {@code vdisk_fuse_errors_total} (requests answered EIO because the backend threw).
 *
 * <p>Hot path: every meter is registered here, once, and kept in arrays indexed by the op's ordinal, so a request
 * costs a few adder increments and no lookup or allocation ({@code DataPathMetricsTest} measures the allocation).
 */
public final class DataPathMetrics implements FuseRequestObserver {

    static final String REQUESTS = "vdisk.fuse.requests";
    static final String BYTES = "vdisk.fuse.bytes";
    static final String ERRORS = "vdisk.fuse.errors";
    /** From a memory backend's few microseconds to a disk's tens of milliseconds, and a stuck flush. */
    private static final Duration[] BUCKETS = {micros(10), micros(25), micros(50), micros(100), micros(250),
            micros(500), micros(1000), micros(2500), micros(5000), micros(10_000), micros(25_000), micros(50_000),
            micros(100_000), micros(250_000), micros(1_000_000), micros(5_000_000)};

    private final Timer[] latency;
    private final Counter[] bytes;
    private final Counter[] errors;

    public DataPathMetrics(MeterRegistry registry) {
        FuseOp[] ops = FuseOp.values();
        latency = new Timer[ops.length];
        bytes = new Counter[ops.length];
        errors = new Counter[ops.length];
        for (FuseOp op : ops) {
            latency[op.ordinal()] = Timer.builder(REQUESTS).description("FUSE data-path requests answered")
                    .tag("op", op.label()).serviceLevelObjectives(BUCKETS).register(registry);
            bytes[op.ordinal()] = Counter.builder(BYTES).description("payload bytes moved by FUSE requests")
                    .baseUnit("bytes").tag("op", op.label()).register(registry);
            errors[op.ordinal()] = Counter.builder(ERRORS).description("FUSE requests answered EIO")
                    .tag("op", op.label()).register(registry);
        }
    }

    @Override
    public void served(FuseOp op, long n, long nanos) {
        latency[op.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
        if (n > 0) {
            bytes[op.ordinal()].increment(n);
        }
    }

    @Override
    public void failed(FuseOp op) {
        errors[op.ordinal()].increment();
    }

    private static Duration micros(long n) {
        return Duration.ofNanos(n * 1000);
    }
}
