package dev.vdisk.kube.node;

import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.PoolAgent;
import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.controller.agents.LocalNodeAgents;
import dev.vdisk.controller.metadata.SnapshotStreams;
import dev.vdisk.kube.agentapi.AgentApiServer;
import dev.vdisk.kube.agentapi.BearerTokenInterceptor;
import dev.vdisk.kube.agentapi.TokenReviewAuthenticator;
import dev.vdisk.kube.reconcile.Backoff;
import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.reconcile.EventSource;
import dev.vdisk.kube.reconcile.KeyedWorkQueue;
import dev.vdisk.kube.replication.PeerPulls;
import dev.vdisk.kube.replication.PeerReplication;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.VdiskGroupSnapshot;
import dev.vdisk.kube.resource.VdiskGroupSnapshotStatus;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshotStatus;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeStatus;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node agent in a cluster: reconciles the VdiskVolumes, VdiskSnapshots and VdiskGroupSnapshots labelled with this
 * node against the local {@link PoolAgent}, publishes the VdiskNode, and serves the internal API.
 *
 * <p>Threads: fabric8's informer threads only add an object's key ({@code Kind/name}) to the {@link KeyedWorkQueue}
 * (never blocks); the queue runs each object's reconcile on a virtual thread, one at a time per object, objects in
 * parallel (the agent serialises per volume itself); its one timer thread only adds (split refresh, waits, retries
 * with back-off, the heartbeat, which runs on the queue too). The internal API's calls run on the gRPC server's
 * virtual threads.
 *
 * <p>A restart repeats no finished work: each reconciler answers a generation once ({@code observedGeneration}) and
 * afterwards only refreshes what the pool reports; the previous status comes from the last write of this process,
 * or from the object itself after a restart.
 */
public final class NodeClusterAgent implements AutoCloseable {
    /** The Events' source component. */
    static final String COMPONENT = "vdisk-csi-node";

    private static final Logger LOG = LoggerFactory.getLogger(NodeClusterAgent.class);
    /** Back-off after a failed reconcile (API server unreachable, conflict): doubles up to the maximum. */
    private static final Backoff RETRY = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1));

    private static final String HEARTBEAT = "VdiskNode";
    private static final String STAGED_CHECK = "StagedCheck";
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(60);

    private final NodeClusterConfig config;
    /** Any number of objects at once: each reconcile mostly waits on the pool or the API server. */
    private final KeyedWorkQueue queue = new KeyedWorkQueue("vdisk-node", Integer.MAX_VALUE, RETRY, this::handle);

    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    /** key -> the status this process last wrote or read; touched only by the key's work (one at a time). */
    private final Map<String, Object> lastStatus = new ConcurrentHashMap<>();
    /** Kind -> its reconcile by name; filled before the queue opens. */
    private final Map<String, Function<String, Duration>> byKind = new ConcurrentHashMap<>();

    private SharedIndexInformer<VdiskVolume> volumes;
    private SharedIndexInformer<VdiskSnapshot> snapshots;
    private SharedIndexInformer<VdiskGroupSnapshot> groups;
    private ReconcileJob<VdiskVolume, VdiskVolumeStatus> volumeJob;
    private ReconcileJob<VdiskSnapshot, VdiskSnapshotStatus> snapshotJob;
    private ReconcileJob<VdiskGroupSnapshot, VdiskGroupSnapshotStatus> groupJob;
    private NodeHeartbeat heartbeat;
    private AgentApiServer apiServer;
    /** Pulls of other nodes' snapshots; null when this agent exchanges no replicas. */
    private PeerPulls pulls;

    private NodeClusterAgent(NodeClusterConfig config) {
        this.config = config;
    }

    /**
     * Joins the cluster: starts the informers (waits for their first list), the reconcilers, the heartbeat and, if
     * configured, the internal API. Close it before closing {@code agent} (which it does not close).
     */
    public static NodeClusterAgent start(KubernetesClient client, NodeClusterConfig config, PoolAgent agent)
            throws IOException {
        return start(client, config, agent, null);
    }

    /**
     * {@link #start} that also exchanges replicas with the other node agents ({@code replication}; null: none): the
     * internal API serves this pool's snapshots to the peer account, and clones of other nodes' snapshots pull a
     * replica first.
     */
    public static NodeClusterAgent start(
            KubernetesClient client, NodeClusterConfig config, PoolAgent agent, PeerReplication replication)
            throws IOException {
        NodeClusterAgent node = new NodeClusterAgent(config);
        try {
            node.startWith(client, agent, replication);
            return node;
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
    }

    private void startWith(KubernetesClient client, PoolAgent agent, PeerReplication replication) throws IOException {
        Clock clock = Clock.systemUTC();
        ResourceWriter writer = new ResourceWriter(client);
        EventRecorder events = new EventRecorder(client, EventSource.onNode(COMPONENT, config.nodeId()), clock);
        NodeObjects objects = new NodeObjects() {
            @Override
            public Optional<VdiskVolume> volume(String name) {
                return Optional.ofNullable(volumes.getStore().getByKey(name));
            }

            @Override
            public Optional<VdiskSnapshot> snapshot(String name) {
                return Optional.ofNullable(snapshots.getStore().getByKey(name));
            }

            @Override
            public List<VdiskGroupSnapshot> groups() {
                return groups.getStore().list();
            }
        };
        if (replication != null) {
            pulls = new PeerPulls(client, replication.peers(), replication.replicas(), replication.pullers());
        }
        VolumeReconciler volumeReconciler = new VolumeReconciler(
                agent, writer, events, objects, clock, config.pollInterval(), new ReplicaRestore(pulls, events));
        SnapshotReconciler snapshotReconciler =
                new SnapshotReconciler(agent, writer, events, objects, clock, config.pollInterval());
        GroupSnapshotReconciler groupReconciler = new GroupSnapshotReconciler(agent, writer, events, clock);

        volumeJob =
                new ReconcileJob<>(VdiskVolume.class, name -> volumes.getStore().getByKey(name), (v, prev) -> {
                    var outcome = volumeReconciler.reconcile(v, prev);
                    String before = prev == null ? null : prev.backingSnapshotId();
                    String after =
                            outcome.status() == null ? null : outcome.status().backingSnapshotId();
                    if (!Objects.equals(before, after)) {
                        // a clone appeared, split off or went: its snapshot's dependents changed
                        Stream.of(before, after).filter(Objects::nonNull).forEach(snapshotJob::submit);
                    }
                    return outcome;
                });
        snapshotJob = new ReconcileJob<>(
                VdiskSnapshot.class, name -> snapshots.getStore().getByKey(name), snapshotReconciler::reconcile);
        groupJob = new ReconcileJob<>(
                VdiskGroupSnapshot.class, name -> groups.getStore().getByKey(name), (g, prev) -> {
                    var outcome = groupReconciler.reconcile(g, prev);
                    if (outcome.status() != null && outcome.status().phase() != ResourcePhase.Pending) {
                        // its members waited for it
                        g.getSpec().members().values().forEach(snapshotJob::submit);
                    }
                    return outcome;
                });
        volumes = inform(client, VdiskVolume.class, volumeJob);
        snapshots = inform(client, VdiskSnapshot.class, snapshotJob);
        groups = inform(client, VdiskGroupSnapshot.class, groupJob);
        for (SharedIndexInformer<?> i : informers) {
            try {
                i.start().toCompletableFuture().get(SYNC_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IOException("cannot list and watch the node's resources: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while listing the node's resources", e);
            }
        }
        heartbeat = new NodeHeartbeat(client, writer, agent, config.nodeId(), config.agentAddress(), clock);
        byKind.put(HEARTBEAT, name -> {
            heartbeat.beat();
            return null;
        });
        // NodeStage/NodeUnstage change no resource: without this, a status written while staged would say so until
        // the next resync, and the controller refuse DeleteVolume after the unstage for that long
        byKind.put(STAGED_CHECK, name -> {
            recheckStaged(agent);
            return null;
        });
        queue.addEvery(HEARTBEAT + "/" + config.nodeId(), config.heartbeatInterval());
        queue.addEvery(STAGED_CHECK + "/" + config.nodeId(), config.heartbeatInterval());
        queue.open();
        if (config.agentListen() != null) {
            BearerTokenInterceptor auth = new BearerTokenInterceptor(
                    new TokenReviewAuthenticator(client, config.agentApiAudience()), config.agentClient());
            apiServer = AgentApiServer.start(
                    config.agentListen(),
                    SnapshotStreams.of(new LocalNodeAgents(config.nodeId(), agent)),
                    replication == null ? null : replication.replicas(),
                    replication == null ? auth : auth.withReplicationFrom(replication.peerAccount()),
                    config.agentCertificate());
        }
        LOG.info(
                "node agent joined the cluster as {}: {} volumes, {} snapshots, {} group snapshots bound here",
                config.nodeId(),
                volumes.getStore().list().size(),
                snapshots.getStore().list().size(),
                groups.getStore().list().size());
    }

    /** Reconciles again each Ready volume whose last status disagrees with the pool about being staged. */
    private void recheckStaged(VolumeAgent agent) {
        for (VdiskVolume v : volumes.getStore().list()) {
            String name = v.getMetadata().getName();
            VdiskVolumeStatus s =
                    lastStatus.get("VdiskVolume/" + name) instanceof VdiskVolumeStatus last ? last : v.getStatus();
            if (s != null
                    && s.phase() == ResourcePhase.Ready
                    && agent.getVolume(name).map(AgentVolume::staged).orElse(s.staged()) != s.staged()) {
                volumeJob.submit(name);
            }
        }
    }

    /** The queue's handler: {@code Kind/name} to that kind's reconcile. */
    private Duration handle(String key) {
        int slash = key.indexOf('/');
        Function<String, Duration> reconcile = slash < 0 ? null : byKind.get(key.substring(0, slash));
        if (reconcile == null) {
            throw new IllegalStateException("no reconcile for key " + key + ": keys are Kind/name of a kind set up");
        }
        return reconcile.apply(key.substring(slash + 1));
    }

    /** The internal API's port (tests bind port 0), empty without one. */
    public Optional<Integer> agentApiPort() {
        return Optional.ofNullable(apiServer).map(AgentApiServer::port);
    }

    private <T extends CustomResource<?, S>, S> SharedIndexInformer<T> inform(
            KubernetesClient client, Class<T> type, ReconcileJob<T, S> job) {
        SharedIndexInformer<T> informer = client.resources(type)
                .withLabel(ResourceKeys.NODE_LABEL, ResourceKeys.nodeLabelValue(config.nodeId()))
                .runnableInformer(config.resyncInterval().toMillis());
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                job.submit(obj.getMetadata().getName());
            }

            @Override
            public void onUpdate(T before, T after) {
                // not for our own status writes: a new spec, a deletion, or a resync (same resourceVersion)
                boolean resync = Objects.equals(
                        before.getMetadata().getResourceVersion(),
                        after.getMetadata().getResourceVersion());
                if (resync
                        || !Objects.equals(
                                before.getMetadata().getGeneration(),
                                after.getMetadata().getGeneration())
                        || !Objects.equals(
                                before.getMetadata().getDeletionTimestamp(),
                                after.getMetadata().getDeletionTimestamp())
                        || !Objects.equals(
                                before.getMetadata().getFinalizers(),
                                after.getMetadata().getFinalizers())) {
                    job.submit(after.getMetadata().getName());
                }
            }

            @Override
            public void onDelete(T obj, boolean finalStateUnknown) {
                String key = type.getSimpleName() + "/" + obj.getMetadata().getName();
                queue.forget(key);
                lastStatus.remove(key);
            }
        });
        informers.add(informer);
        return informer;
    }

    /** One kind's reconcile, run by the queue per object: previous status, the reconciler, then what comes next. */
    private final class ReconcileJob<T extends CustomResource<?, S>, S> {
        private final String kind;
        private final Function<String, T> current;
        private final BiFunction<T, S, Outcome<S>> work;

        ReconcileJob(Class<T> type, Function<String, T> current, BiFunction<T, S, Outcome<S>> work) {
            this.kind = type.getSimpleName();
            this.current = current;
            this.work = work;
            byKind.put(kind, this::run);
        }

        void submit(String name) {
            queue.add(kind + "/" + name);
        }

        /** @return when to look again; a failure propagates to the queue, which retries with back-off */
        private Duration run(String name) {
            String key = kind + "/" + name;
            T obj = current.apply(name);
            if (obj == null) {
                return null; // gone: a deletion with our finalizer went through the reconciler first
            }
            @SuppressWarnings("unchecked")
            S remembered = (S) lastStatus.get(key);
            S previous = remembered != null ? remembered : obj.getStatus();
            Outcome<S> outcome = work.apply(obj, previous);
            if (outcome.gone()) {
                lastStatus.remove(key);
                queue.forget(key);
                return null;
            }
            if (outcome.status() != null) {
                lastStatus.put(key, outcome.status());
            }
            return outcome.again();
        }
    }

    /** Stops the API server, the informers and the reconcilers, then marks the VdiskNode not Ready. */
    @Override
    public void close() {
        if (apiServer != null) {
            apiServer.close();
        }
        informers.forEach(SharedIndexInformer::stop);
        queue.close();
        if (pulls != null) {
            pulls.close();
        }
        if (heartbeat != null) {
            try {
                heartbeat.stopped();
            } catch (RuntimeException e) {
                LOG.warn("could not mark VdiskNode {} stopped: {}", config.nodeId(), e.toString());
            }
        }
        LOG.info("node agent left the cluster ({})", config.nodeId());
    }
}
