package dev.vdisk.csi.server.metrics;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** Makes the process's one registry; the launcher calls it once and passes the registry to whatever records. */
public final class ProcessRegistry {

    private ProcessRegistry() {}

    /**
     * A new Prometheus registry with the JVM's own gauges (heap and non-heap memory, threads, CPU, uptime), which
     * are read at scrape time and need no closing; GC pause metrics are left out because they hold a listener.
     */
    public static PrometheusMeterRegistry create() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }
}
