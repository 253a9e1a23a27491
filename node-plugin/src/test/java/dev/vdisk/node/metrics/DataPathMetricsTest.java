package dev.vdisk.node.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import dev.vdisk.node.backend.MemoryBackend;
import dev.vdisk.node.datapath.DataPath;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.fuse.FuseOp;
import dev.vdisk.node.fuse.FuseTransport;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The data-path meters: they move when a real FUSE-served image is read and written (over both transports), and
 * recording allocates nothing.
 */
@ExtendWith(Privileged.class)
@ParameterizedClass
@EnumSource(
        value = FuseTransport.class,
        names = {"DEV", "URING"})
class DataPathMetricsTest {
    private static final long SIZE = 64L << 20;

    @Parameter
    FuseTransport transport;

    @TempDir
    Path dir;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @AfterEach
    void nothingLeft() throws Exception {
        registry.close();
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    @Test
    void countersMoveWhenTheLoopDeviceIsReadWrittenAndDiscarded() throws Exception {
        DataPathMetrics metrics = new DataPathMetrics(registry);
        try (MemoryBackend backend = new MemoryBackend(SIZE);
                DataPath dataPath = DataPath.start(
                        dir.resolve("fuse"),
                        FuseConfig.defaults()
                                .withWorkers(4)
                                .withObserver(metrics)
                                .withTransport(transport))) {
            DataPath.AttachedVolume v = dataPath.attach("pvc-m", backend);
            long writesBefore = metrics.requests(FuseOp.WRITE);
            double writtenBefore = metrics.bytes(FuseOp.WRITE);
            Path data = dir.resolve("data");
            Command.run("dd", "if=/dev/urandom", "of=" + data, "bs=1M", "count=4", "status=none");
            Command.run("dd", "if=" + data, "of=" + v.device(), "bs=1M", "count=4", "oflag=direct", "status=none");
            // a worker records a request after its reply, so dd can return before the last one is counted
            awaitCounted(() -> metrics.bytes(FuseOp.WRITE) - writtenBefore >= 4L << 20);
            assertTrue(metrics.requests(FuseOp.WRITE) - writesBefore >= 4, "at least one WRITE per 1 MiB request");
            assertEquals(4L << 20, metrics.bytes(FuseOp.WRITE) - writtenBefore, 0.0, "every byte written counted once");

            double readBefore = metrics.bytes(FuseOp.READ);
            Command.run(
                    "dd",
                    "if=" + v.device(),
                    "of=" + dir.resolve("back"),
                    "bs=1M",
                    "count=4",
                    "iflag=direct",
                    "status=none");
            assertArrayEquals(Files.readAllBytes(data), Files.readAllBytes(dir.resolve("back")));
            // at least: udev may probe the device meanwhile
            awaitCounted(() -> metrics.bytes(FuseOp.READ) - readBefore >= 4L << 20);
            assertTrue(metrics.bytes(FuseOp.READ) - readBefore >= 4L << 20, "read bytes counted");
            assertTrue(metrics.nanos(FuseOp.READ) > 0, "latency recorded");

            Command.run(
                    "blkdiscard", "-o", "0", "-l", "" + (1L << 20), v.device().toString());
            awaitCounted(() -> metrics.bytes(FuseOp.FALLOCATE) >= 1L << 20);
            assertEquals(1L << 20, metrics.bytes(FuseOp.FALLOCATE), 0.0, "discarded bytes reach FALLOCATE");
            assertEquals(0, metrics.errors(FuseOp.WRITE));
            dataPath.detach("pvc-m");
        }
    }

    /** Waits up to 5 s for the workers to count what they already answered; the assertions after it decide. */
    private static void awaitCounted(BooleanSupplier counted) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!counted.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    @Test
    void recordingARequestAllocatesNothing() {
        DataPathMetrics metrics = new DataPathMetrics(registry);
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 200_000; i++) { // warm up: the JIT compiles the recording path
            metrics.served(FuseOp.values()[i % 5], 4096, 20_000 + i % 1000);
        }
        FuseOp read = FuseOp.READ;
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1_000_000; i++) {
            metrics.served(read, 4096, 15_000 + (i & 1023));
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // a single Long or lambda per request would be 16+ MB here; allow a little for a rotating time window
        assertTrue(allocated < 64 * 1024, "recording 1M requests allocated " + allocated + " bytes");
        assertEquals(200_000 / 5 + 1_000_000, metrics.requests(FuseOp.READ));
    }

    @Test
    void aScrapeShowsAHistogramAndCountersPerOp() {
        DataPathMetrics metrics = new DataPathMetrics(registry);
        metrics.served(FuseOp.WRITE, 4096, 5_000); // <= 10 us
        metrics.served(FuseOp.WRITE, 8192, 30_000); // <= 50 us
        metrics.served(FuseOp.WRITE, 4096, 9_000_000_000L); // above every bound
        metrics.failed(FuseOp.FSYNC);
        List<String> lines = registry.scrape().lines().toList();
        assertTrue(lines.contains("# TYPE vdisk_fuse_requests_seconds histogram"), String.join("\n", lines));
        assertTrue(
                lines.contains("vdisk_fuse_requests_seconds_bucket{op=\"write\",le=\"1.0E-5\"} 1"),
                String.join("\n", lines));
        assertTrue(lines.contains("vdisk_fuse_requests_seconds_bucket{op=\"write\",le=\"2.5E-5\"} 1"));
        assertTrue(lines.contains("vdisk_fuse_requests_seconds_bucket{op=\"write\",le=\"5.0E-5\"} 2"), "cumulative");
        assertTrue(lines.contains("vdisk_fuse_requests_seconds_bucket{op=\"write\",le=\"5.0\"} 2"));
        assertTrue(lines.contains("vdisk_fuse_requests_seconds_bucket{op=\"write\",le=\"+Inf\"} 3"));
        assertTrue(lines.contains("vdisk_fuse_requests_seconds_count{op=\"write\"} 3"));
        assertTrue(
                lines.contains("vdisk_fuse_requests_seconds_count{op=\"read\"} 0"), "every op is there from the start");
        assertTrue(
                lines.stream().anyMatch(l -> l.startsWith("vdisk_fuse_requests_seconds_sum{op=\"write\"} 9.000035")));
        assertTrue(lines.contains("# TYPE vdisk_fuse_bytes_total counter"));
        assertTrue(lines.contains("vdisk_fuse_bytes_total{op=\"write\"} 16384.0"), String.join("\n", lines));
        assertTrue(lines.contains("vdisk_fuse_errors_total{op=\"fsync\"} 1.0"));
    }
}
