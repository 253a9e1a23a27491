package dev.vdisk.kube.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One controller replica's part in the election on a coordination.k8s.io Lease (fabric8's LeaderElector): while it
 * holds the lease it runs the {@link LeaderTask}s, when it loses the lease it stops them and stands again. On
 * {@link #close} it stops its tasks and releases the lease, so a standby takes over within its retry period rather
 * than after the lease expires; a replica that dies without releasing is replaced once the lease runs out.
 */
public final class LeaderElection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

    /**
     * Timing of the election: kube-controller-manager's defaults are 15 s / 10 s / 2 s; a standby takes over a
     * released lease within {@code retryPeriod} and a dead leader's within {@code leaseDuration + retryPeriod}.
     */
    public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        public static final Timing DEFAULT =
                new Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String identity;
    private final Timing timing;
    private final List<LeaderTask> tasks;
    private final List<AutoCloseable> running = new ArrayList<>();
    private final AtomicBoolean leading = new AtomicBoolean();
    private volatile boolean closed;
    private volatile CompletableFuture<?> election;
    private Thread loop;

    public LeaderElection(
            KubernetesClient client,
            String namespace,
            String name,
            String identity,
            Timing timing,
            List<LeaderTask> tasks) {
        this.client = Objects.requireNonNull(client);
        this.namespace = Objects.requireNonNull(namespace);
        this.name = Objects.requireNonNull(name);
        this.identity = Objects.requireNonNull(identity);
        this.timing = Objects.requireNonNull(timing);
        this.tasks = List.copyOf(tasks);
    }

    /** Stands for election in the background (and again after each lost term) until {@link #close}. */
    public synchronized LeaderElection start() {
        loop = Thread.ofPlatform().daemon().name("leader-election").start(this::stand);
        LOG.info("leader election: {} stands for lease {}/{}", identity, namespace, name);
        return this;
    }

    public boolean isLeader() {
        return leading.get();
    }

    private void stand() {
        while (!closed) {
            var elector = client.leaderElector()
                    .withConfig(new LeaderElectionConfigBuilder()
                            .withName(name)
                            .withLock(new LeaseLock(namespace, name, identity))
                            .withLeaseDuration(timing.leaseDuration())
                            .withRenewDeadline(timing.renewDeadline())
                            .withRetryPeriod(timing.retryPeriod())
                            .withReleaseOnCancel(true)
                            .withLeaderCallbacks(new LeaderCallbacks(
                                    this::startLeading,
                                    this::stopLeading,
                                    leader -> LOG.info(
                                            "leader election: lease {}/{} is held by {}", namespace, name, leader)))
                            .build())
                    .build();
            election = elector.start();
            try {
                election.join();
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.warn("leader election: {} ended its term: {}", identity, e.getMessage());
                }
            }
            stopLeading();
            if (!closed) {
                try {
                    Thread.sleep(timing.retryPeriod()); // a term that ended at once (API server away) is no busy loop
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private synchronized void startLeading() {
        if (closed || !leading.compareAndSet(false, true)) {
            return;
        }
        LOG.info("leader election: {} leads; starting {} background task(s)", identity, tasks.size());
        for (LeaderTask task : tasks) {
            try {
                running.add(task.start());
            } catch (Exception e) {
                LOG.error("leader election: a background task did not start: {}", e.getMessage(), e);
            }
        }
    }

    private synchronized void stopLeading() {
        if (!leading.compareAndSet(true, false)) {
            return;
        }
        LOG.info("leader election: {} no longer leads; stopping its background tasks", identity);
        for (AutoCloseable c : running.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("leader election: stopping a background task failed: {}", e.getMessage());
            }
        }
        running.clear();
    }

    /** Stops the tasks, releases the lease (a standby takes over at its next retry) and stops standing. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        CompletableFuture<?> e = election;
        stopLeading();
        if (e != null) {
            e.cancel(true);
        }
        Thread t;
        synchronized (this) {
            t = loop;
        }
        if (t != null) {
            t.join(timing.renewDeadline().toMillis() + 2000);
        }
        LOG.info("leader election: {} stopped standing", identity);
    }
}
