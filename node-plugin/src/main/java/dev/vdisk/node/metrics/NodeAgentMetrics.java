package dev.vdisk.node.metrics;

import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.backend.IoCondition;
import dev.vdisk.node.loop.LoopDevice;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * The node agent's state as gauges, read through its public API when a scrape reads them (no timer):
 * {@code vdisk_pool_total_bytes}, {@code vdisk_pool_available_bytes}, {@code vdisk_pool_used_bytes},
 * {@code vdisk_volumes}, {@code vdisk_volumes_staged}, {@code vdisk_loop_devices} (loop devices on this agent's
 * FUSE images), {@code vdisk_splits{phase}} (splits the agent knows, by phase) and
 * {@code vdisk_split_relocated_bytes} (bytes relocated by those splits, summed; it falls when a finished split is
 * forgotten, so it is a gauge, not a counter), and {@code vdisk_volume_io_condition_changes_total{to}} (volumes
 * whose writes or reads started failing, {@code to="failing"}, or succeed again, {@code to="ok"}). Replication's
 * gauges: {@link ReplicaPullMetrics}.
 */
public final class NodeAgentMetrics {

    /** The phases of {@link SplitStatus#phase()}; each gets a series, 0 when no split is in it. */
    static final List<String> PHASES =
            List.of("QUEUED", "SCANNING", "FILLING", "RELEASING", SplitStatus.DONE, "CANCELLED", "FAILED", "PAUSED");

    private static final String CONDITION_CHANGES = "changes of volumes' I/O condition: to failing when writes or"
            + " reads start failing, to ok when they succeed again";
    /** Reads within one scrape share one look at the agent; the next scrape (seconds later) reads again. */
    private static final long SAMPLE_NANOS = 500_000_000L;

    private NodeAgentMetrics() {}

    /**
     * Registers the gauges; they hold {@code agent} and read it until the registry is closed. Every gauge holds its
     * state strongly: micrometer's default weak reference would let the samplers be collected (the gauge then
     * reads NaN).
     */
    public static void bind(MeterRegistry registry, NodeAgent agent) {
        Sampled<PoolCapacity> capacity = new Sampled<>(agent::capacity, SAMPLE_NANOS);
        Sampled<List<SplitStatus>> splits = new Sampled<>(agent::splits, SAMPLE_NANOS);
        Path images = agent.config().fuseMountPoint();

        bytes(registry, "vdisk.pool.total", "size of the pool's data space", capacity, PoolCapacity::totalBytes);
        bytes(
                registry,
                "vdisk.pool.available",
                "bytes the pool can still allocate",
                capacity,
                PoolCapacity::availableBytes);
        bytes(registry, "vdisk.pool.used", "bytes allocated in the pool", capacity, PoolCapacity::usedBytes);
        Gauge.builder("vdisk.volumes", agent, a -> a.listVolumes().size())
                .description("volumes in the pool")
                .strongReference(true)
                .register(registry);
        Gauge.builder("vdisk.volumes.staged", agent, a -> a.staged().size())
                .description("volumes staged on this node")
                .strongReference(true)
                .register(registry);
        Gauge.builder("vdisk.loop.devices", images, NodeAgentMetrics::loopDevices)
                .description("loop devices attached to this agent's FUSE images")
                .strongReference(true)
                .register(registry);
        for (String phase : PHASES) {
            Gauge.builder("vdisk.splits", splits, s -> s.get().stream()
                            .filter(x -> x.phase().equals(phase))
                            .count())
                    .description("clone splits the agent knows, by phase")
                    .tag("phase", phase)
                    .strongReference(true)
                    .register(registry);
        }
        IoCondition.Changes changes = agent.ioConditionChanges();
        FunctionCounter.builder("vdisk.volume.io.condition.changes", changes.failing(), LongAdder::sum)
                .description(CONDITION_CHANGES)
                .tag("to", "failing")
                .register(registry);
        FunctionCounter.builder("vdisk.volume.io.condition.changes", changes.recovered(), LongAdder::sum)
                .description(CONDITION_CHANGES)
                .tag("to", "ok")
                .register(registry);
        Gauge.builder("vdisk.split.relocated", splits, s -> s.get().stream()
                        .mapToLong(SplitStatus::bytesRelocated)
                        .sum())
                .description("bytes relocated by the splits the agent knows")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        ReplicaPullMetrics.bind(registry, agent.replicaPulls());
    }

    private static void bytes(
            MeterRegistry registry,
            String name,
            String description,
            Sampled<PoolCapacity> capacity,
            ToDoubleFunction<PoolCapacity> field) {
        Gauge.builder(name, capacity, c -> field.applyAsDouble(c.get()))
                .description(description)
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
    }

    private static double loopDevices(Path images) {
        try {
            return LoopDevice.attached().stream()
                    .filter(l -> l.backingFile().startsWith(images))
                    .count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
