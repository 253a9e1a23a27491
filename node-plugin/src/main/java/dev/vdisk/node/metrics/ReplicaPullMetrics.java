package dev.vdisk.node.metrics;

import dev.vdisk.node.replication.PullStatus;
import dev.vdisk.node.replication.ReplicaPulls;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Replication's gauges, read from the newest pull of each replica as its puller published it ({@link ReplicaPulls}):
 * {@code vdisk_replica_pulls{phase}}, {@code vdisk_replica_pull_done_bytes} and {@code vdisk_replica_pull_total_bytes}
 * (of pulls not yet DONE, summed: their ratio is the percent), {@code vdisk_replica_pull_sent_bytes} (data received by
 * every pull known, summed), {@code vdisk_replica_pull_rate_bytes} (bytes covered per second by running pulls) and
 * {@code vdisk_replica_pull_eta_seconds} (the longest ETA of a pull not yet done; 0 when none, -1 unknown).
 */
public final class ReplicaPullMetrics {
    /** The phases of {@link PullStatus#phase()}; each gets a series, 0 when no pull is in it. */
    static final List<String> PHASES = List.of("RUNNING", "RETRYING", "DONE", "FAILED");

    private ReplicaPullMetrics() {}

    /** Registers the gauges; they read {@code pulls} at each scrape. */
    public static void bind(MeterRegistry registry, ReplicaPulls pulls) {
        for (String phase : PHASES) {
            Gauge.builder("vdisk.replica.pulls", pulls, p -> p.all().stream()
                            .filter(s -> s.phase().equals(phase))
                            .count())
                    .description("replica pulls this agent knows (the newest of each replica), by phase")
                    .tag("phase", phase)
                    .strongReference(true)
                    .register(registry);
        }
        pullBytes(
                registry,
                "vdisk.replica.pull.done",
                "bytes covered by unfinished pulls",
                pulls,
                true,
                s -> s.bytesDone());
        pullBytes(
                registry,
                "vdisk.replica.pull.total",
                "bytes unfinished pulls cover when done",
                pulls,
                true,
                s -> s.bytesTotal());
        pullBytes(
                registry,
                "vdisk.replica.pull.sent",
                "data bytes received by the pulls known",
                pulls,
                false,
                s -> s.bytesSent());
        pullBytes(
                registry,
                "vdisk.replica.pull.rate",
                "bytes covered per second by running pulls",
                pulls,
                true,
                s -> "RUNNING".equals(s.phase()) ? s.bytesPerSecond() : 0);
        Gauge.builder("vdisk.replica.pull.eta", pulls, p -> p.all().stream()
                        .filter(s -> !s.phase().equals("DONE") && !s.phase().equals("FAILED"))
                        .mapToLong(PullStatus::etaSeconds)
                        .max()
                        .orElse(0))
                .description("the longest estimated time to go of the pulls not yet done (-1: unknown)")
                .baseUnit("seconds")
                .strongReference(true)
                .register(registry);
    }

    private static void pullBytes(
            MeterRegistry registry,
            String name,
            String description,
            ReplicaPulls pulls,
            boolean unfinishedOnly,
            ToDoubleFunction<PullStatus> field) {
        Gauge.builder(name, pulls, p -> p.all().stream()
                        .filter(s -> !unfinishedOnly || !s.phase().equals("DONE"))
                        .mapToDouble(field)
                        .sum())
                .description(description)
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
    }
}
