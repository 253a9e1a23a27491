package dev.vdisk.kube.replication;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.ReplicaTargetApi;
import dev.vdisk.kube.agentapi.AgentApiClient;
import dev.vdisk.kube.agentapi.ReplicaSourceClient;
import dev.vdisk.kube.resource.VdiskNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's pulls of other nodes' snapshots into local replicas, each on its own virtual thread, at most one per
 * replica. A reconciler asks {@link #ensure} each time it looks: the first call starts the pull, the next ones read
 * its progress, the one after it finished takes the outcome (DONE, or FAILED with the agent API's reason) and forgets
 * it, so a later call starts afresh (a replica already complete answers DONE at once; an interrupted one resumes from
 * its durable cursor). The source agent's address is read from its VdiskNode at every connection attempt, so a
 * restarted source pod with a new IP is found again.
 *
 * <p>Thread-safety: {@link #ensure} from any thread (the map decides which call starts a pull); {@link #close} stops
 * the pulls (their imports stay pending at the durable cursor, resumed by the next {@link #ensure}).
 */
public final class PeerPulls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerPulls.class);

    private final KubernetesClient client;
    private final AgentApiClient peers;
    private final ReplicaTargetApi target;
    private final SnapshotPuller.Factory pullers;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Pull> byReplica = new ConcurrentHashMap<>();

    /**
     * @param client reads the source nodes' VdiskNode (their agent address)
     * @param peers the node's own token and the agents' CA, to dial other agents
     * @param target the local pool's replicas (a failed pull's import is aborted when its source is gone)
     */
    public PeerPulls(
            KubernetesClient client, AgentApiClient peers, ReplicaTargetApi target, SnapshotPuller.Factory pullers) {
        this.client = client;
        this.peers = peers;
        this.target = target;
        this.pullers = pullers;
    }

    /**
     * Starts pulling {@code sourceSnapshotId} of node {@code sourceNode} into replica {@code replicaId} as local
     * snapshot {@code snapshotId}, or reports the pull already running for that replica.
     */
    public PullProgress ensure(String replicaId, String sourceNode, String sourceSnapshotId, String snapshotId) {
        Pull started = new Pull(sourceNode, sourceSnapshotId);
        Pull pull = byReplica.computeIfAbsent(replicaId, id -> started);
        if (pull == started) {
            SnapshotPuller puller = pullers.connectingWith(() -> new ReplicaSourceClient(peers, addressOf(sourceNode)));
            pull.puller = puller;
            LOG.info("replica {}: pulling snapshot {} from node {}", replicaId, sourceSnapshotId, sourceNode);
            threads.execute(() -> run(pull, replicaId, snapshotId));
        }
        PullProgress outcome = pull.outcome;
        if (outcome != null) {
            byReplica.remove(replicaId, pull);
            return outcome;
        }
        SnapshotPuller puller = pull.puller;
        return puller == null ? PullProgress.starting() : puller.progress().orElse(PullProgress.starting());
    }

    /**
     * Forgets the pull of a replica whose snapshot the caller found in the pool already (the pull completed between
     * two looks): its outcome if it finished, empty if none was known or it still runs (then it is kept).
     */
    public Optional<PullProgress> forget(String replicaId) {
        Pull pull = byReplica.get(replicaId);
        if (pull == null || pull.outcome == null) {
            return Optional.empty();
        }
        byReplica.remove(replicaId, pull);
        return Optional.of(pull.outcome);
    }

    private void run(Pull pull, String replicaId, String snapshotId) {
        try {
            PullProgress done = pull.puller.pull(replicaId, pull.sourceSnapshotId, snapshotId);
            LOG.info(
                    "replica {}: snapshot {} pulled from node {} ({} bytes)",
                    replicaId,
                    pull.sourceSnapshotId,
                    pull.sourceNode,
                    done.bytesDone());
            pull.outcome = done;
        } catch (AgentException e) {
            if (e.reason() == AgentReason.NOT_FOUND) {
                abandon(replicaId);
            }
            pull.outcome = PullProgress.failed(e.reason().name(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pull.outcome = PullProgress.failed(AgentReason.IO_ERROR.name(), "the pull was stopped");
        } catch (RuntimeException e) {
            LOG.warn("replica {}: pull of {} failed: {}", replicaId, pull.sourceSnapshotId, e.toString());
            pull.outcome = PullProgress.failed(AgentReason.IO_ERROR.name(), e.toString());
        } finally {
            if (pull.outcome == null) {
                // an Error: the pull must still end, or the volume would wait for it forever
                pull.outcome = PullProgress.failed(AgentReason.IO_ERROR.name(), "the pull ended abnormally");
            }
        }
    }

    /** The source snapshot is gone: the pending import can never complete, so the replica goes back. */
    private void abandon(String replicaId) {
        try {
            target.abortImport(replicaId);
        } catch (AgentException e) {
            LOG.warn("replica {}: could not abort its import: {}", replicaId, e.getMessage());
        }
    }

    /** The source agent's internal API address, from its VdiskNode. */
    private String addressOf(String node) {
        VdiskNode n = client.resources(VdiskNode.class).withName(node).get();
        String address =
                n == null || n.getStatus() == null ? null : n.getStatus().agentAddress();
        if (address == null || address.isBlank()) {
            // the source may be starting: retried like a dropped connection
            throw new AgentException(
                    AgentReason.IO_ERROR,
                    "node " + node + " publishes no agent API address (VdiskNode " + node + " status.agentAddress):"
                            + " its agent is down or runs without --agent-listen");
        }
        return address;
    }

    /** Stops every running pull; their imports stay pending at the durable cursor. */
    @Override
    public void close() {
        threads.shutdownNow();
    }

    /** One pull: what it pulls, its puller, and its outcome once finished (written by its thread only). */
    private static final class Pull {
        final String sourceNode;
        final String sourceSnapshotId;
        volatile SnapshotPuller puller;
        volatile PullProgress outcome;

        Pull(String sourceNode, String sourceSnapshotId) {
            this.sourceNode = Objects.requireNonNull(sourceNode);
            this.sourceSnapshotId = Objects.requireNonNull(sourceSnapshotId);
        }
    }
}
