package dev.vdisk.kube.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.access.ApiAccess;
import dev.vdisk.kube.access.Component;
import dev.vdisk.kube.access.RecordedAccess;
import dev.vdisk.kube.resource.ResourceKeys;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The requests of the three components of cluster mode, told apart by their User-Agent, checked against what
 * {@link ApiAccess} declares (and so what the chart's roles grant). One per test, on the test's thread.
 */
final class DeclaredAccess {
    /** User agents: the launcher's for the controller, others for the node agent and the plugin. */
    private static final Map<String, Component> USER_AGENTS = Map.of(
            "vdisk-csi-controller",
            Component.CONTROLLER,
            "vdisk-csi-node",
            Component.NODE,
            "kubectl-vdisk",
            Component.KUBECTL_PLUGIN);

    private final KubernetesMockServer server;
    /** Every request of the three components, by component, collected as the test goes. */
    private final Map<Component, Set<RecordedAccess.Access>> accesses = new TreeMap<>();

    DeclaredAccess(KubernetesMockServer server) {
        this.server = server;
    }

    /** Takes the server's recorded requests and files those of the three components by their User-Agent. */
    void collect() throws InterruptedException {
        RecordedRequest r;
        while ((r = server.takeRequest(20, TimeUnit.MILLISECONDS)) != null) {
            String agent = r.getHeader("User-Agent");
            RecordedAccess.Access a = RecordedAccess.of(r.getMethod(), r.getPath());
            if (agent == null || a == null) {
                continue;
            }
            USER_AGENTS.forEach((prefix, component) -> {
                if (agent.startsWith(prefix)) {
                    accesses.computeIfAbsent(component, c -> new TreeSet<>()).add(a);
                }
            });
        }
    }

    void assertDeclared() {
        List<String> undeclared = new ArrayList<>();
        accesses.forEach((component, seen) -> seen.stream()
                .filter(a -> ApiAccess.of(component).stream().noneMatch(rule -> RecordedAccess.allows(rule, a)))
                .forEach(a -> undeclared.add(component + ": " + a)));
        assertEquals(List.of(), undeclared, "requests not declared in ApiAccess; all seen: " + accesses);
        System.out.println("API access seen: " + accesses);
    }

    /** Each side made the requests the volume's whole life is about (so the check above had something to check). */
    void assertExercised() throws InterruptedException {
        collect();
        assertSeen(Component.NODE, ResourceKeys.GROUP, "vdiskvolumes/status", "patch");
        assertSeen(Component.NODE, "authentication.k8s.io", "tokenreviews", "create");
        assertSeen(Component.CONTROLLER, ResourceKeys.GROUP, "vdiskvolumes", "create");
        assertSeen(Component.CONTROLLER, ResourceKeys.GROUP, "splitrequests/status", "patch");
        assertSeen(Component.CONTROLLER, "coordination.k8s.io", "leases", "create");
        assertSeen(Component.KUBECTL_PLUGIN, ResourceKeys.GROUP, "vdiskvolumes", "list");
        assertSeen(Component.KUBECTL_PLUGIN, ResourceKeys.GROUP, "splitrequests", "create");
    }

    private void assertSeen(Component component, String group, String resource, String verb) {
        assertTrue(
                accesses.get(component).contains(new RecordedAccess.Access(group, resource, verb)),
                accesses.toString());
    }
}
