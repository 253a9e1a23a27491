package dev.vdisk.csi.server.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's metrics over HTTP: {@code GET /metrics} answers the registry in the Prometheus text format 0.0.4,
 * {@code GET /healthz} answers {@code ok}; other paths 404, other methods 405.
 *
 * <p>JDK's {@code com.sun.net.httpserver}, one virtual thread per exchange: a scrape reads the lazily bound gauges
 * (the node agent's pool and volumes) on that thread, so a slow read delays only its own scrape. Plain HTTP with no
 * authentication, like every Prometheus exporter: bind it to an address only the scraper reaches.
 */
public final class MetricsEndpoint implements AutoCloseable {

    /** {@code io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.CONTENT_TYPE}, a runtime-only class. */
    static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

    private static final String PLAIN = "text/plain; charset=utf-8";

    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MetricsEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds {@code listen} (port 0: any free port, see {@link #address}) and serves until {@link #close}. */
    public static MetricsEndpoint start(InetSocketAddress listen, PrometheusMeterRegistry registry) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(listen, 16);
        } catch (IOException e) {
            throw new IOException("cannot serve metrics on " + listen + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/metrics", exchange -> answer(exchange, "/metrics", TEXT_FORMAT, registry::scrape));
        server.createContext("/healthz", exchange -> answer(exchange, "/healthz", PLAIN, () -> "ok\n"));
        server.createContext("/", exchange -> answer(exchange, null, null, null));
        server.start();
        MetricsEndpoint endpoint = new MetricsEndpoint(server, executor);
        LOG.info("serving metrics on http://{}/metrics", hostPort(endpoint.address()));
        return endpoint;
    }

    /** The bound address (the real port when started with port 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private interface Body {
        String text();
    }

    private static void answer(HttpExchange exchange, String path, String contentType, Body body) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (path == null || !exchange.getRequestURI().getPath().equals(path)) {
                send(exchange, 404, PLAIN, "not found: try /metrics or /healthz\n", method);
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, PLAIN, "use GET\n", method);
                return;
            }
            String text;
            try {
                text = body.text();
            } catch (RuntimeException e) {
                // a gauge whose read failed: the scraper sees a 500 and marks the target down; the log says why
                LOG.warn("{} failed: {}", path, e.toString(), e);
                send(exchange, 500, PLAIN, "failed: " + e + "\n", method);
                return;
            }
            send(exchange, 200, contentType, text, method);
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, String text, String method)
            throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if (method.equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** Stops accepting, lets a running scrape finish for up to a second, and ends the executor. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        String where = hostPort(address());
        server.stop(1);
        executor.close();
        LOG.info("stopped serving metrics on {}", where);
    }
}
