package dev.vdisk.kube.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.access.Component;
import dev.vdisk.kube.access.RecordedAccess;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two controller replicas on one Lease: one leads and runs the background tasks, the other waits, then takes over. */
@EnableKubernetesMockClient(crud = true)
class LeaderElectionTest {

    static final LeaderElection.Timing FAST =
            new LeaderElection.Timing(Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200));

    KubernetesMockServer server;
    KubernetesClient client;

    /** A replica: its own client (user agent "vdisk-controller-NAME") and a task that counts its runs. */
    final class Replica implements AutoCloseable {
        final KubernetesClient own;
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger running = new AtomicInteger();
        final LeaderElection election;

        Replica(String name) {
            own = server.createClient(b -> b.withConfig(new ConfigBuilder(client.getConfiguration())
                    .withUserAgent("vdisk-controller-" + name)
                    .build()));
            election = new LeaderElection(own, "kube-system", "vdisk-csi-controller", name, FAST, List.of(() -> {
                started.incrementAndGet();
                running.incrementAndGet();
                return running::decrementAndGet;
            }));
        }

        @Override
        public void close() throws InterruptedException {
            election.close();
            own.close();
        }
    }

    Replica a;
    Replica b;

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Replica r : new Replica[] {a, b}) {
            if (r != null) {
                r.close();
            }
        }
    }

    @Test
    void oneLeadsTheOtherWaitsAndTakesOverWithinSeconds() throws InterruptedException {
        RecordedAccess.drain(server);
        a = new Replica("a");
        a.election.start();
        await(a.election::isLeader, 5_000, "a leads");
        b = new Replica("b");
        b.election.start();
        Thread.sleep(1500); // several retry periods: b must stay a standby that does nothing
        assertFalse(b.election.isLeader());
        assertEquals(0, b.started.get(), "a non-leader runs no background task");
        assertEquals(1, a.running.get());

        long t0 = System.nanoTime();
        a.election.close();
        assertEquals(0, a.running.get(), "the old leader stopped its tasks");
        await(b.election::isLeader, 5_000, "b takes over");
        long handover = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.println("leader hand-over after release: " + handover + " ms");
        assertTrue(handover < 3_000, "hand-over within seconds: " + handover + " ms");
        assertEquals(1, b.running.get());
        Lease lease = client.leases()
                .inNamespace("kube-system")
                .withName("vdisk-csi-controller")
                .get();
        assertEquals("b", lease.getSpec().getHolderIdentity());

        var seen = RecordedAccess.assertDeclared(server, Component.CONTROLLER, "vdisk-controller-");
        System.out.println("leader election requests: " + seen);
        assertTrue(
                seen.contains(new RecordedAccess.Access("coordination.k8s.io", "leases", "create")), seen.toString());
        assertTrue(seen.contains(new RecordedAccess.Access("coordination.k8s.io", "leases", "patch")), seen.toString());
    }

    @Test
    void aLeaderThatDiesWithoutReleasingIsReplacedAfterTheLease() throws InterruptedException {
        a = new Replica("a");
        a.election.start();
        await(a.election::isLeader, 5_000, "a leads");
        b = new Replica("b");
        b.election.start();
        long t0 = System.nanoTime();
        a.own.close(); // a dies: it neither renews nor releases (a closed client runs nothing more)
        await(b.election::isLeader, 10_000, "b takes over after the lease ran out");
        long handover = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.println("leader hand-over after a silent leader: " + handover + " ms");
        assertEquals(1, b.running.get());
    }

    private static void await(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + " within " + millis + " ms");
            Thread.sleep(20);
        }
    }
}
