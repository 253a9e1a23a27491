package dev.vdisk.kube.access;

import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * What a component actually asked of the (mock) API server, as RBAC sees it, checked against
 * {@link ApiAccess#of}. Use at the end of a test that ran the component against a {@link KubernetesMockServer}:
 * {@code RecordedAccess.assertDeclared(server, Component.CONTROLLER)}. It drains the server's recorded requests, so
 * requests the test itself made (fixtures, a simulated node agent) must be drained before the component runs
 * ({@link #drain}) or made through a client of another server.
 */
public final class RecordedAccess {

    /** One request as RBAC sees it: verb on apiGroup/resource[/subresource]. */
    public record Access(String apiGroup, String resource, String verb) implements Comparable<Access> {
        @Override
        public int compareTo(Access o) {
            return toString().compareTo(o.toString());
        }

        @Override
        public String toString() {
            return verb + " " + (apiGroup.isEmpty() ? "core" : apiGroup) + "/" + resource;
        }
    }

    private RecordedAccess() {}

    /** Takes every request the server recorded so far (discovery and other non-resource paths are left out). */
    public static List<Access> drain(KubernetesMockServer server) {
        return drain(server, "");
    }

    /**
     * Takes every request recorded so far and keeps those whose User-Agent starts with {@code userAgent}: how a test
     * tells the component's requests from those of a simulated peer on the same server (give the component's client
     * its own user agent: {@code new ConfigBuilder(config).withUserAgent("vdisk-controller")}).
     */
    public static List<Access> drain(KubernetesMockServer server, String userAgent) {
        List<Access> out = new ArrayList<>();
        try {
            RecordedRequest r;
            while ((r = server.takeRequest(20, TimeUnit.MILLISECONDS)) != null) {
                String agent = r.getHeader("User-Agent");
                Access a = of(r.getMethod(), r.getPath());
                if (a != null && (agent == null ? "" : agent).startsWith(userAgent)) {
                    out.add(a);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while draining recorded requests", e);
        }
        return out;
    }

    /**
     * Drains the recorded requests and fails naming every one that {@code component}'s declared rules do not allow.
     *
     * @return the distinct accesses seen, so a test can also assert that it exercised what it meant to
     */
    public static Set<Access> assertDeclared(KubernetesMockServer server, Component component) {
        return assertDeclared(server, component, "");
    }

    /** As {@link #assertDeclared(KubernetesMockServer, Component)}, for the requests of one user agent only. */
    public static Set<Access> assertDeclared(KubernetesMockServer server, Component component, String userAgent) {
        Set<Access> seen = new TreeSet<>(drain(server, userAgent));
        List<ApiRule> rules = ApiAccess.of(component);
        List<Access> undeclared = seen.stream()
                .filter(a -> rules.stream().noneMatch(rule -> allows(rule, a)))
                .toList();
        if (!undeclared.isEmpty()) {
            fail(component + " made requests its ApiAccess does not declare: " + undeclared + " (declared: " + rules
                    + ")");
        }
        return seen;
    }

    public static boolean allows(ApiRule rule, Access a) {
        return rule.apiGroup().equals(a.apiGroup())
                && rule.resource().equals(a.resource())
                && rule.verbs().contains(a.verb());
    }

    /**
     * Maps an HTTP request to RBAC terms; null for non-resource paths (/version, /api, /apis, /openapi...).
     * Paths: /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]] and /apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME[/SUB]].
     */
    public static Access of(String method, String pathAndQuery) {
        int q = pathAndQuery.indexOf('?');
        String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        String query = q < 0 ? "" : pathAndQuery.substring(q + 1);
        List<String> seg =
                new ArrayList<>(List.of(path.replaceAll("^/+|/+$", "").split("/")));
        String group;
        if (seg.size() >= 3 && seg.get(0).equals("api")) {
            group = "";
            seg = seg.subList(2, seg.size());
        } else if (seg.size() >= 4 && seg.get(0).equals("apis")) {
            group = seg.get(1);
            seg = seg.subList(3, seg.size());
        } else {
            return null;
        }
        // namespaces/NS/RESOURCE...: a namespaced resource; namespaces[/NAME[/SUB]] alone is the namespace itself
        if (seg.size() >= 3 && seg.get(0).equals("namespaces")) {
            seg = seg.subList(2, seg.size());
        }
        String resource = seg.get(0) + (seg.size() >= 3 ? "/" + seg.get(2) : "");
        boolean named = seg.size() >= 2;
        boolean watch = Set.of(query.split("&")).stream().anyMatch(p -> p.equals("watch=true") || p.equals("watch=1"));
        String verb =
                switch (method.toUpperCase(Locale.ROOT)) {
                    case "GET" -> watch ? "watch" : named ? "get" : "list";
                    case "POST" -> "create";
                    case "PUT" -> "update";
                    case "PATCH" -> "patch";
                    case "DELETE" -> named ? "delete" : "deletecollection";
                    default -> method.toLowerCase(Locale.ROOT);
                };
        return new Access(group, resource, verb);
    }
}
