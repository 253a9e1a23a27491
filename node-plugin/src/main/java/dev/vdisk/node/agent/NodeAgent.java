package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentLineage;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.BlockExtent;
import dev.vdisk.api.agent.PoolAgent;
import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.api.agent.ReplicaApi;
import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.io.PrivateFiles;
import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.backend.IoCondition;
import dev.vdisk.node.datapath.DataPath;
import dev.vdisk.node.datapath.DataPath.AttachedVolume;
import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.replication.ReplicaPulls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent: owns this node's pool, its data path and the record of staged volumes, and serialises work per
 * volume. Start it with {@link #start}; {@link #close} syncs and unmounts what is staged (the state file keeps it
 * listed, so the next start stages it again), stops the data path and closes the pool.
 *
 * <p>Start order: lock the state directory (one agent per state directory: a second one would take the FUSE
 * mount of the first for stale), read the state file, open or create the pool, clear what a dead predecessor
 * left ({@link Recovery#clearDeadPredecessor}), mount the FUSE filesystem, then stage again what the state file
 * lists ({@link Recovery#restage}).
 *
 * <p>With a descriptor holder ({@link AgentOptions#descriptors}) the start first tries to take over what the
 * predecessor left there ({@link Recovery#adopt}, then {@link Recovery#resume}: only what is missing is redone);
 * without a usable {@code fuse} entry it drops the holder's entries and goes the way above. {@link #close} then hands
 * the data path over instead of unmounting anything, unless nothing is staged.
 */
public final class NodeAgent implements PoolAgent, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);
    /** How long an operation waits for another one on the same volume before answering ABORTED. */
    private static final long LOCK_WAIT_SECONDS = 60;

    private final AgentConfig config;
    private final StateDirLock stateDirLock;
    private final Pool pool;
    /** Set once by {@link #start} before the agent is returned (the backends of a take-over need the agent). */
    private DataPath dataPath;

    private final StagedVolumes staged;
    private final VolumeLocks locks = new VolumeLocks(LOCK_WAIT_SECONDS);
    private final VolumeStaging staging = new VolumeStaging(this);
    /** Volumes: create, clone, delete, their attributes. */
    private final VolumeOperations volumes;
    /** Snapshots and group snapshots, with their source volumes. */
    private final SnapshotOperations snapshots;
    /** Clone splits over {@link #splitQueue}. */
    private final SplitOperations splits;
    /** Lineage and extents of volumes and snapshots; reads only. */
    private final LineageQueries lineageQueries;
    /** Volumes whose data path is broken, with why; written under the volume's lock, read by anyone. */
    private final Map<String, String> abnormal = new ConcurrentHashMap<>();
    /** What serves each attached volume: its vdisk, with its I/O condition and limits. */
    private final VolumeBackends backends;
    /** Clone splits: at most {@code maxSplits} run, the rest wait. */
    private final SplitQueue splitQueue;
    /** Stages again, with backoff, what could not be staged at start. */
    private final RestageRetries restageRetries = new RestageRetries(this);
    /** Rewrites {@code <pool>/split-status} for {@code vdisk split --status}; set at the end of start. */
    private volatile SplitStatusPublisher splitStatusPublisher;
    /** Replication's source and target on this pool (issue 19). */
    private final NodeReplicas replicas;

    private NodeAgent(AgentConfig config, StateDirLock stateDirLock, Pool pool, StagedVolumes staged) {
        this.config = config;
        this.stateDirLock = stateDirLock;
        this.pool = pool;
        this.staged = staged;
        this.backends = new VolumeBackends(pool, () -> capacity().availableBytes());
        this.splitQueue = new SplitQueue(pool, config.options().maxSplits(), new SplitRecords(config.poolDir()));
        this.snapshots = new SnapshotOperations(
                pool, locks, new VolumeAttributes(config.poolDir(), "snapshot-attributes"), id -> exists(id));
        this.splits = new SplitOperations(pool, locks, splitQueue, id -> exists(id));
        this.volumes = new VolumeOperations(
                new VolumeOperations.Parts(
                        pool, locks, staged, splitQueue, backends.throttles(), snapshots, config.nodeId()),
                new VolumeAttributes(config.poolDir()),
                this::abnormal,
                backends::forget);
        this.lineageQueries = new LineageQueries(pool);
        this.replicas = new NodeReplicas(pool, config.poolDir());
    }

    /** The replication operations on this agent's pool. */
    public ReplicaApi replicas() {
        return replicas;
    }

    /** Where this agent's pullers publish their progress (give it to each {@code ReplicaPuller}). */
    public ReplicaPulls replicaPulls() {
        return replicas.pulls();
    }

    public static NodeAgent start(AgentConfig config) throws IOException {
        StateDirLock lock = StateDirLock.take(config.stateDir());
        Pool pool = null;
        NodeAgent created = null; // for the cleanup below
        try {
            // the state file names volumes and paths, and the FUSE mount in it serves their images: root's alone.
            // With a holder the mount may be a live connection nobody serves yet: a stat of it would wait for the
            // workers this start has not started, so the tree is tightened once the data path is up.
            if (config.options().descriptors().isEmpty()) {
                PrivateFiles.tightenTree(config.stateDir());
            }
            StateFile stateFile = new StateFile(config.stateFile());
            List<StagedVolume> recorded = stateFile.read();
            pool = AgentPool.openOrCreate(config);
            NodeAgent agent = new NodeAgent(config, lock, pool, new StagedVolumes(stateFile, recorded));
            created = agent;
            Optional<DescriptorStore> store = config.options().descriptors();
            Optional<DataPath> adopted =
                    store.isPresent() ? Recovery.adopt(agent, store.get(), recorded) : Optional.empty();
            if (adopted.isPresent()) {
                agent.dataPath = adopted.get();
                Recovery.resume(agent, recorded, agent.restageRetries);
            } else {
                if (store.isPresent()) {
                    Recovery.dropHeld(store.get());
                }
                Recovery.clearDeadPredecessor(config.fuseMountPoint(), recorded);
                agent.dataPath = DataPath.start(config.fuseMountPoint(), config.fuse(), store);
                Recovery.restage(agent, recorded, agent.restageRetries);
            }
            if (store.isPresent()) {
                PrivateFiles.tightenTree(config.stateDir());
            }
            agent.splits.resumeAtStart(); // then what never started:
            RequestedSplits.startMissing(agent);
            agent.splitStatusPublisher = SplitStatusPublisher.start(config.poolDir(), agent::splits);
            agent.restageRetries.start(); // last: nothing below can fail and leave its thread running
            LOG.info(
                    "node agent ready: node {}, pool {}, {} staged volumes, {} abnormal",
                    config.nodeId(),
                    config.poolDir(),
                    recorded.size(),
                    agent.abnormal.size());
            return agent;
        } catch (IOException | RuntimeException e) {
            if (created != null && created.dataPath != null) {
                created.dataPath.close();
            }
            if (pool != null) {
                pool.close();
            }
            lock.release();
            throw e;
        }
    }

    public AgentConfig config() {
        return config;
    }

    public VolumeLocks locks() {
        return locks;
    }

    public StagedVolumes staged() {
        return staged;
    }

    public VolumeStaging staging() {
        return staging;
    }

    // ---------------------------------------------------------------- VolumeAgent (takes the volume's lock)

    @Override
    public AgentVolume createVolume(String volumeId, long sizeBytes, Map<String, String> attributes) {
        return volumes.create(volumeId, sizeBytes, attributes);
    }

    @Override
    public AgentVolume updateAttributes(String volumeId, Map<String, String> changes) {
        return volumes.updateAttributes(volumeId, changes);
    }

    @Override
    public void deleteVolume(String volumeId) {
        volumes.delete(volumeId);
    }

    @Override
    public AgentVolume resizeVolume(String volumeId, long newSizeBytes) {
        try (var held = locks.lock(volumeId)) {
            growWithoutLocking(volumeId, newSizeBytes);
            return volumes.toVolume(volumes.info(volumeId).orElseThrow());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    @Override
    public Optional<AgentVolume> getVolume(String volumeId) {
        return volumes.get(volumeId);
    }

    @Override
    public List<AgentVolume> listVolumes() {
        return volumes.list();
    }

    @Override
    public PoolCapacity capacity() {
        return EngineFailures.translating(() -> PoolSpace.of(pool.info()));
    }

    // ---------------------------------------------------------------- snapshots and clones (take the locks they name)

    /** Locks the snapshot ID, then the source volume (so it is not staged, unstaged or deleted meanwhile). */
    @Override
    public AgentSnapshot createSnapshot(String snapshotId, String sourceVolumeId) {
        return snapshots.createGroup("", Map.of(sourceVolumeId, snapshotId)).getFirst();
    }

    @Override
    public List<AgentSnapshot> createSnapshotGroup(String groupId, Map<String, String> snapshotIdByVolumeId) {
        return snapshots.createSnapshotGroup(groupId, snapshotIdByVolumeId);
    }

    @Override
    public void deleteSnapshot(String snapshotId) {
        snapshots.delete(snapshotId);
    }

    @Override
    public Optional<AgentSnapshot> getSnapshot(String snapshotId) {
        return snapshots.get(snapshotId);
    }

    @Override
    public List<AgentSnapshot> listSnapshots() {
        return snapshots.list();
    }

    /** Locks the new volume's ID; the engine keeps the snapshot alive while the clone reads through it. */
    @Override
    public AgentVolume cloneVolume(String newVolumeId, String snapshotId, long sizeBytes, Map<String, String> attrs) {
        return volumes.cloneVolume(newVolumeId, snapshotId, sizeBytes, attrs);
    }

    @Override
    public Iterator<BlockExtent> allocated(String snapshotId, long startOffset) {
        return lineageQueries.allocated(snapshotId, startOffset);
    }

    @Override
    public Iterator<BlockExtent> delta(String baseSnapshotId, String targetSnapshotId, long startOffset) {
        return lineageQueries.delta(baseSnapshotId, targetSnapshotId, startOffset);
    }

    @Override
    public int chainDepth(String id) {
        return lineageQueries.chainDepth(id);
    }

    @Override
    public Optional<AgentLineage> lineage(String id) {
        return lineageQueries.lineage(id);
    }

    // ---------------------------------------------------------------- clone splits (take the volume's lock)

    @Override
    public SplitStatus startSplit(String volumeId, String mode, long rateBytesPerSecond) {
        return splits.start(volumeId, mode, rateBytesPerSecond);
    }

    @Override
    public Optional<SplitStatus> splitStatus(String volumeId) {
        return splits.status(volumeId);
    }

    @Override
    public void cancelSplit(String volumeId) {
        splits.cancel(volumeId);
    }

    @Override
    public List<SplitStatus> splits() {
        return splits.all();
    }

    /** Why the volume's attributes file cannot be read, if it cannot. */
    public Optional<String> attributesProblem(String volumeId) {
        return volumes.attributesProblem(volumeId);
    }

    // ---------------------------------------------------------------- node side (the caller holds the volume's lock)

    /** Whether {@code volumeId} exists in the pool. */
    public boolean exists(String volumeId) {
        return volumes.info(volumeId).isPresent();
    }

    /** Size of the volume in bytes (its vdisk's size). */
    public long sizeOf(String volumeId) {
        return pool.vdisks().get(volumeId).size();
    }

    /**
     * What serves the volume's image: its vdisk, watched for I/O failures and throttled as its attributes say.
     * NOT_FOUND (engine) if the vdisk does not exist.
     */
    BlockBackend backendFor(String volumeId) throws IOException {
        return backends.backendFor(volumeId, volumes.readableAttributes(volumeId));
    }

    /** The data path; set once the start has mounted or adopted it. */
    DataPath dataPath() {
        return dataPath;
    }

    VolumeThrottles throttles() {
        return backends.throttles();
    }

    public Optional<AttachedVolume> attached(String volumeId) {
        return dataPath.find(volumeId);
    }

    /**
     * Grows the volume to at least {@code requiredBytes} (rounded up to 4 KiB) and, if attached, its loop device.
     * Returns the new size.
     */
    public long growWithoutLocking(String volumeId, long requiredBytes) throws IOException {
        long size = pool.vdisks().get(volumeId).size();
        if (requiredBytes > size) {
            size = pool.vdisks()
                    .resize(volumeId, VolumeIds.roundUp(requiredBytes))
                    .sizeBytes();
            LOG.info("grew volume {} to {} bytes", volumeId, size);
        }
        if (dataPath.find(volumeId).isPresent()) {
            dataPath.resize(volumeId);
        }
        return size;
    }

    /** Whether the attached volume's writes (or reads) fail now: what, why and since when. */
    public Optional<IoCondition.Failing> ioFailing(String volumeId) {
        return backends.ioFailing(volumeId);
    }

    /** How often volumes' I/O started failing and recovered, for the metrics. */
    public IoCondition.Changes ioConditionChanges() {
        return backends.conditionChanges();
    }

    /** Why the volume's data path is broken, if it is (set at start when it could not be staged again). */
    public Optional<String> abnormal(String volumeId) {
        return Optional.ofNullable(abnormal.get(volumeId));
    }

    void markAbnormal(String volumeId, String why) {
        abnormal.put(volumeId, why);
    }

    public void clearAbnormal(String volumeId) {
        abnormal.remove(volumeId);
    }

    /**
     * Unmounts every staged volume (targets lazily, staging mounts with a real unmount when nothing uses them, so
     * the filesystem is written back while the data path still works), stops the data path and closes the pool.
     * The state file still lists the volumes: the next start stages and publishes them again.
     *
     * <p>Handing over (a descriptor holder the kernel can use, and something staged): nothing is unmounted or
     * detached; the data path stops taking requests and finishes those in flight ({@link DataPath#close}), then the
     * pool is closed (splits pause, and resume at the next start); the successor takes the volumes over.
     */
    @Override
    public void close() {
        restageRetries.close(); // before the unmounts: it must not stage anything again now
        boolean handOver = dataPath.handsOver() && !dataPath.attached().isEmpty();
        if (!handOver) {
            staging.unmountForShutdown(staged.all());
        }
        if (splitStatusPublisher != null) {
            splitStatusPublisher.close();
        }
        splitQueue.close();
        if (handOver) {
            LOG.info(
                    "handing {} staged volumes over to the next node agent: nothing unmounted",
                    staged.all().size());
        }
        dataPath.close();
        pool.close();
        try {
            stateDirLock.release();
        } catch (IOException e) {
            LOG.warn("releasing the state directory lock failed: {}", e.toString());
        }
        LOG.info("node agent stopped");
    }
}
