package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two controller replicas: the Lease names the leading pod, and when that pod dies (SIGKILL to all its containers)
 * the standby takes the Lease, its sidecars take theirs, and claims and splits go on. Runs after the other flows:
 * the killed replica stays dead.
 */
@ExtendWith(RealClusterExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(4)
class FailoverIT {

    private static RealCluster cluster;
    private static Claims claims;

    @BeforeAll
    static void setUp(RealCluster shared) throws Exception {
        cluster = shared;
        claims = new Claims(shared);
        SplitIT.originWithSnapshot(claims, "failover-origin", "failover-snap");
    }

    private static String holder() {
        Lease lease = cluster.admin()
                .leases()
                .inNamespace(RealCluster.NAMESPACE)
                .withName("vdisk-csi-controller")
                .get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    private static List<String> podNames() {
        return cluster.controllers().stream().map(ControllerPod::podName).toList();
    }

    /** Failed before its fix: the identity came from the host name, which both replicas share here. */
    @Test
    @Order(1)
    void theLeaseIsHeldUnderTheLeadingPodsName() {
        String holder = holder();
        assertTrue(
                podNames().contains(holder),
                "Lease vdisk-system/vdisk-csi-controller is held by " + holder + ", not by one of the pods "
                        + podNames() + ": two replicas on one host name both think they lead");
    }

    @Test
    @Order(2)
    void afterTheLeadingPodDiesTheStandbyServesClaimsAndSplits() {
        String holder = holder();
        ControllerPod leader = cluster.controllers().stream()
                .filter(p -> p.podName().equals(holder))
                .findFirst()
                .orElse(cluster.controllers().getFirst());
        leader.kill();
        claims.create("after-failover", "64Mi", "node-a", "VolumeSnapshot", "failover-snap");
        claims.awaitBound("after-failover");
        claims.requestSplit("after-failover", "after-failover", "share");
        SplitIT.awaitSplit(claims, "after-failover", "after-failover");
    }

    /** Failed before its fix: with the identity from the pod name the Lease must move to the survivor. */
    @Test
    @Order(3)
    void theStandbyHoldsTheLeaseAfterTheLeaderDied() {
        List<String> alive = cluster.controllers().stream()
                .filter(p -> p.processes().getFirst().isAlive())
                .map(ControllerPod::podName)
                .toList();
        assertEquals(1, alive.size(), "one replica killed: " + alive);
        String holder = claims.await(
                "Lease held by " + alive.getFirst(),
                FailoverIT::holder,
                h -> alive.getFirst().equals(h),
                "Lease",
                "vdisk-csi-controller");
        assertEquals(alive.getFirst(), holder);
    }
}
