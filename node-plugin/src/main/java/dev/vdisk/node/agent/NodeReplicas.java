package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.ReplicaApi;
import dev.vdisk.api.agent.ReplicaChunk;
import dev.vdisk.api.agent.ReplicaCursor;
import dev.vdisk.api.agent.ReplicaPlan;
import dev.vdisk.api.agent.ReplicaStatus;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolReplicaHost;
import dev.vdisk.engine.replica.ExtentChunk;
import dev.vdisk.engine.replica.ImportProgress;
import dev.vdisk.engine.replica.ReplicaHost;
import dev.vdisk.engine.replica.ReplicaImport;
import dev.vdisk.engine.replica.ReplicaState;
import dev.vdisk.engine.replica.SnapshotExport;
import dev.vdisk.node.replication.PullStatus;
import dev.vdisk.node.replication.ReplicaPulls;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent API's replication (source and target) on one node's pool. A replica {@code id} is the pool's vdisk
 * {@code replica.<id>} (written only by imports) with its state file in {@code <pool>/replicas/}; its snapshots are
 * ordinary snapshots of the pool, named by the caller. Engine failures leave as {@link AgentException}s.
 *
 * <p>Thread-safety: the open {@link ReplicaImport}s are kept in a concurrent map (one per replica, opened on first use
 * and finishing what a crash interrupted); each import synchronizes itself. Exports hold no state here.
 */
public final class NodeReplicas implements ReplicaApi {
    /** Prefix of replica vdisks: a listing of volumes skips them. */
    public static final String VDISK_PREFIX = "replica.";

    /** Largest chunk of an export. */
    static final int CHUNK_BYTES = 256 << 10;

    private final ReplicaHost pool;
    private final Path stateDir;
    private final Map<String, ReplicaImport> imports = new ConcurrentHashMap<>();
    private final ReplicaPulls pulls;

    public NodeReplicas(Pool pool, Path poolDir) {
        this(pool, poolDir, new ReplicaPulls());
    }

    /** Replicas whose status also shows the progress that pullers publish on {@code pulls}. */
    public NodeReplicas(Pool pool, Path poolDir, ReplicaPulls pulls) {
        this.pool = PoolReplicaHost.of(pool);
        this.stateDir = poolDir.resolve("replicas");
        this.pulls = pulls;
    }

    /** The pulls into this pool's replicas, as their pullers publish them. */
    public ReplicaPulls pulls() {
        return pulls;
    }

    /** Whether vdisk {@code name} of the pool is a replica's (not a volume). */
    public static boolean isReplicaVdisk(String name) {
        return name.startsWith(VDISK_PREFIX);
    }

    @Override
    public Iterator<ReplicaChunk> export(String baseSnapshotId, String snapshotId, long fromOffset) {
        SnapshotExport export = EngineFailures.translating(
                () -> new SnapshotExport(pool, baseSnapshotId, snapshotId, fromOffset, CHUNK_BYTES));
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return EngineFailures.translating(export::hasNext);
            }

            @Override
            public ReplicaChunk next() {
                ExtentChunk c = EngineFailures.translating(export::next);
                return new ReplicaChunk(c.offset(), c.length(), c.data(), c.crc(), c.unchanged());
            }
        };
    }

    @Override
    public long snapshotSize(String snapshotId) {
        return EngineFailures.translating(() -> pool.snapshotSize(snapshotId));
    }

    @Override
    public ReplicaPlan exportPlan(String baseSnapshotId, String snapshotId, long fromOffset) {
        return EngineFailures.translating(() -> new ReplicaPlan(
                pool.snapshotSize(snapshotId),
                SnapshotExport.coveredBytes(pool, baseSnapshotId, snapshotId, fromOffset)));
    }

    @Override
    public Optional<ReplicaCursor> beginImport(
            String replicaId, String sourceSnapshotId, String snapshotId, long sizeBytes) {
        return EngineFailures.translating(() -> replica(replicaId)
                .begin(sourceSnapshotId, snapshotId, sizeBytes)
                .map(p -> new ReplicaCursor(p.sourceBase(), p.cursor())));
    }

    @Override
    public void applyChunk(String replicaId, ReplicaChunk chunk) {
        ExtentChunk c =
                new ExtentChunk(chunk.offset(), chunk.length(), chunk.data(), chunk.crc32c(), chunk.unchanged());
        EngineFailures.translating(() -> {
            replica(replicaId).apply(c);
            return null;
        });
    }

    @Override
    public long recordCursor(String replicaId) {
        return EngineFailures.translating(() -> replica(replicaId).checkpoint());
    }

    @Override
    public String completeImport(String replicaId) {
        return EngineFailures.translating(() -> replica(replicaId).complete());
    }

    @Override
    public void abortImport(String replicaId) {
        EngineFailures.translating(() -> {
            replica(replicaId).abort();
            return null;
        });
    }

    @Override
    public Optional<ReplicaStatus> replicaStatus(String replicaId) {
        checkId(replicaId);
        if (!imports.containsKey(replicaId) && !ReplicaImport.names(stateDir).contains(VDISK_PREFIX + replicaId)) {
            return Optional.empty();
        }
        return Optional.of(status(replicaId));
    }

    @Override
    public List<ReplicaStatus> replicas() {
        return EngineFailures.translating(() -> ReplicaImport.names(stateDir).stream()
                .filter(NodeReplicas::isReplicaVdisk)
                .map(n -> status(n.substring(VDISK_PREFIX.length())))
                .toList());
    }

    private ReplicaStatus status(String replicaId) {
        ReplicaImport r = replica(replicaId);
        ReplicaState s = r.state();
        ImportProgress p = r.progress();
        ReplicaState.Pending pending = s.pending();
        return new ReplicaStatus(
                replicaId,
                s.lastSnapshot(),
                s.lastSource(),
                pending == null ? null : pending.sourceSnap(),
                pending == null ? null : pending.replicaSnap(),
                p.sizeBytes(),
                p.cursor(),
                pending == null ? 0 : pending.cursor(),
                p.doneBytes(),
                p.receivedBytes(),
                pulls.of(replicaId).map(PullStatus::progress).orElse(null));
    }

    private ReplicaImport replica(String replicaId) {
        checkId(replicaId);
        return imports.computeIfAbsent(
                replicaId,
                id -> EngineFailures.translating(() -> ReplicaImport.open(pool, stateDir, VDISK_PREFIX + id)));
    }

    private static void checkId(String replicaId) {
        if (replicaId == null || !replicaId.matches("[A-Za-z0-9._:-]{1,200}")) {
            throw new AgentException(
                    AgentReason.INVALID_ARGUMENT,
                    "replica id '" + replicaId + "' is invalid: use 1-200 letters, digits, '.', '_', ':' and '-'");
        }
    }
}
