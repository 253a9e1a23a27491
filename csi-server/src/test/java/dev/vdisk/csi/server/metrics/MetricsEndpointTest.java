package dev.vdisk.csi.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP endpoint on a real loopback port, read by a real HTTP client and a strict text-format reader. */
class MetricsEndpointTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MetricsEndpoint endpoint;

    @BeforeEach
    void start() throws IOException {
        endpoint = MetricsEndpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), registry);
    }

    @AfterEach
    void stop() {
        endpoint.close();
        registry.close();
        http.close();
    }

    @Test
    void metricsAreServedInThePrometheusTextFormat() throws Exception {
        Timer.builder(CallMetricsInterceptor.CALLS)
                .tag("method", "csi.v1.Node/NodeStageVolume")
                .tag("code", "OK")
                .serviceLevelObjectives(Duration.ofMillis(10))
                .register(registry)
                .record(Duration.ofMillis(3));
        AtomicLong reads = new AtomicLong();
        registry.gauge("vdisk.test.reads", List.of(), reads, r -> r.incrementAndGet());

        HttpResponse<String> response = get("/metrics");
        assertEquals(200, response.statusCode());
        assertEquals(
                MetricsEndpoint.TEXT_FORMAT,
                response.headers().firstValue("Content-Type").orElseThrow());
        List<PrometheusText.Sample> samples = PrometheusText.parse(response.body());
        assertTrue(response.body().contains("# TYPE vdisk_csi_calls_seconds histogram\n"), response.body());
        assertEquals(
                1.0,
                value(
                        samples,
                        "vdisk_csi_calls_seconds_count",
                        Map.of("method", "csi.v1.Node/NodeStageVolume", "code", "OK")));
        assertEquals(
                1.0,
                value(
                        samples,
                        "vdisk_csi_calls_seconds_bucket",
                        Map.of("method", "csi.v1.Node/NodeStageVolume", "code", "OK", "le", "0.01")));
        assertEquals(
                0.003,
                value(
                        samples,
                        "vdisk_csi_calls_seconds_sum",
                        Map.of("method", "csi.v1.Node/NodeStageVolume", "code", "OK")),
                1e-9);
        // a gauge is read by the scrape itself, once per scrape
        assertEquals(1.0, value(samples, "vdisk_test_reads", Map.of()));
        get("/metrics");
        assertEquals(2, reads.get());
    }

    @Test
    void healthzAnswersOkAndOtherRequestsAreRefused() throws Exception {
        HttpResponse<String> health = get("/healthz");
        assertEquals(200, health.statusCode());
        assertEquals("ok\n", health.body());
        assertEquals(404, get("/").statusCode());
        assertEquals(404, get("/metrics/more").statusCode());
        HttpResponse<String> post = http.send(
                HttpRequest.newBuilder(uri("/metrics"))
                        .POST(HttpRequest.BodyPublishers.ofString("x"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }

    @Test
    void aFailingGaugeIsA500NotAHang() throws Exception {
        registry.gauge("vdisk.test.broken", List.of(), "x", x -> {
            throw new IllegalStateException("pool closed");
        });
        HttpResponse<String> response = get("/metrics");
        // micrometer itself may swallow a gauge's failure (logging it and reporting NaN); either way no hang, no junk
        if (response.statusCode() == 200) {
            PrometheusText.parse(response.body());
        } else {
            assertEquals(500, response.statusCode());
        }
    }

    @Test
    void closeStopsListening() throws Exception {
        endpoint.close();
        assertThrows(ConnectException.class, () -> get("/healthz"));
        endpoint.close(); // idempotent
    }

    @Test
    void aTakenPortIsRefusedWithTheAddressInTheMessage() {
        IOException e = assertThrows(IOException.class, () -> MetricsEndpoint.start(endpoint.address(), registry));
        assertTrue(e.getMessage().contains(String.valueOf(endpoint.address().getPort())), e.getMessage());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(uri(path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + endpoint.address().getPort() + path);
    }

    private static double value(List<PrometheusText.Sample> samples, String name, Map<String, String> labels) {
        return samples.stream()
                .filter(s -> s.name().equals(name) && s.labels().equals(labels))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + labels + " in " + samples))
                .value();
    }
}
