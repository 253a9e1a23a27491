package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs after every other class of the suite: each request any component or the user made during the flows was
 * answered without 403 (the chart's RBAC lacks a rule) or 422 (an object the API's schema or name rules refuse),
 * read from the API server's audit log and listed by user.
 */
@ExtendWith(RealClusterExtension.class)
@Order(Integer.MAX_VALUE)
class AuditIT {

    private static final List<String> COMPONENTS = List.of(
            "system:serviceaccount:vdisk-system:vdisk-csi-controller",
            "system:serviceaccount:vdisk-system:vdisk-csi-node",
            "system:serviceaccount:kube-system:snapshot-controller",
            ControlPlane.USER);

    private static AuditLog audit;

    @BeforeAll
    static void read(RealCluster cluster) throws Exception {
        audit = AuditLog.read(cluster.plane().auditLog());
    }

    @Test
    void everyComponentTalkedToTheApiServerUnderItsOwnAccount() {
        Map<String, Long> counts = audit.countByUser();
        for (String user : COMPONENTS) {
            assertTrue(counts.getOrDefault(user, 0L) > 0, user + " made no request; users seen: " + counts.keySet());
        }
    }

    /**
     * Failed before its fixes: a PVC clone's VdiskSnapshot name is refused (422), and both replicas lead
     * (one host name), so their split controllers race and the finalizer patch's resourceVersion test fails (422).
     */
    @Test
    void noRequestWasRefusedWith403Or422() {
        Map<String, List<AuditLog.Request>> refused = audit.answered(403, 422);
        // external-provisioner probes the CSIStorageCapacity API at start with a name it knows is invalid
        refused.values()
                .forEach(list -> list.removeIf(r ->
                        r.uri().endsWith("/csistoragecapacities") && r.reason().contains("\"#%123-invalid-name\"")));
        refused.values().removeIf(List::isEmpty);
        if (!refused.isEmpty()) {
            fail("requests refused, by user:\n"
                    + refused.entrySet().stream()
                            .map(e -> e.getKey() + " (" + e.getValue().size() + "):\n  "
                                    + e.getValue().stream()
                                            .distinct()
                                            .limit(20)
                                            .map(Object::toString)
                                            .collect(Collectors.joining("\n  ")))
                            .collect(Collectors.joining("\n")));
        }
    }
}
