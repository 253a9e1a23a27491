package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentLineage;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.BlockExtent;
import dev.vdisk.api.agent.PoolAgent;
import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.api.agent.ReplicaApi;
import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.SnapshotInfo;
import dev.vdisk.engine.VdiskInfo;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.io.PrivateFiles;
import dev.vdisk.engine.split.SplitTask;
import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.backend.ConditionBackend;
import dev.vdisk.node.backend.EngineBackend;
import dev.vdisk.node.backend.IoCondition;
import dev.vdisk.node.datapath.DataPath;
import dev.vdisk.node.datapath.DataPath.AttachedVolume;
import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.host.Mounter;
import dev.vdisk.node.loop.LoopDevice;
import dev.vdisk.node.replication.ReplicaPulls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
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
    private static final long BLOCK = SIZE_GRANULARITY;
    /** The engine's vdisk names; volume IDs are also file names (FUSE image, attributes file). */
    private static final Pattern VOLUME_ID = Pattern.compile("[A-Za-z0-9._:-]{1,253}");
    /** How long an operation waits for another one on the same volume before answering ABORTED. */
    private static final long LOCK_WAIT_SECONDS = 60;

    private final AgentConfig config;
    private final FileChannel lockFile;
    private final FileLock stateDirLock;
    private final Pool pool;
    /** Set once by {@link #start} before the agent is returned (the backends of a take-over need the agent). */
    private DataPath dataPath;

    private final StagedVolumes staged;
    private final VolumeLocks locks = new VolumeLocks(LOCK_WAIT_SECONDS);
    private final VolumeStaging staging = new VolumeStaging(this);
    /** The controller's attributes of each volume; read and written under the volume's lock. */
    private final VolumeAttributes attributes;
    /** Snapshots and group snapshots, with their source volumes. */
    private final SnapshotOperations snapshots;
    /** Clone splits over {@link #splitQueue}. */
    private final SplitOperations splits;
    /** Lineage and extents of volumes and snapshots; reads only. */
    private final LineageQueries lineageQueries;
    /** Volumes whose attributes file cannot be read, with why (it names the file); logged once when it is put. */
    private final Map<String, String> unreadableAttributes = new ConcurrentHashMap<>();
    /** Volumes whose data path is broken, with why; written under the volume's lock, read by anyone. */
    private final Map<String, String> abnormal = new ConcurrentHashMap<>();
    /**
     * The I/O condition of each volume attached since start (NodeGetVolumeStats), kept across detach and attach so
     * that a retried staging logs no new line; dropped when the volume is deleted.
     */
    private final Map<String, ConditionBackend.Conditions> conditions = new ConcurrentHashMap<>();
    /** Condition changes of all volumes, counted for the metrics. */
    private final IoCondition.Changes conditionChanges = new IoCondition.Changes();
    /** The I/O limits of attached volumes, applied live when their attributes change. */
    private final VolumeThrottles throttles = new VolumeThrottles();
    /** Clone splits: at most {@code maxSplits} run, the rest wait. */
    private final SplitQueue splitQueue;
    /** Stages again, with backoff, what could not be staged at start. */
    private final RestageRetries restageRetries = new RestageRetries(this);
    /** Rewrites {@code <pool>/split-status} for {@code vdisk split --status}; set at the end of start. */
    private volatile SplitStatusPublisher splitStatusPublisher;
    /** Replication's source and target on this pool (issue 19). */
    private final NodeReplicas replicas;

    private NodeAgent(
            AgentConfig config, FileChannel lockFile, FileLock stateDirLock, Pool pool, StagedVolumes staged) {
        this.config = config;
        this.lockFile = lockFile;
        this.stateDirLock = stateDirLock;
        this.pool = pool;
        this.staged = staged;
        this.attributes = new VolumeAttributes(config.poolDir());
        this.splitQueue = new SplitQueue(pool, config.options().maxSplits(), new SplitRecords(config.poolDir()));
        this.snapshots = new SnapshotOperations(
                pool, locks, new VolumeAttributes(config.poolDir(), "snapshot-attributes"), id -> info(id).isPresent());
        this.splits = new SplitOperations(pool, locks, splitQueue, id -> info(id).isPresent());
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
        PrivateFiles.createDirectories(config.stateDir());
        FileChannel lockFile = PrivateFiles.open(
                config.stateDir().resolve("agent.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = null;
        Pool pool = null;
        NodeAgent created = null; // for the cleanup below
        try {
            try {
                lock = lockFile.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very process (an agent started twice in one JVM)
            }
            if (lock == null) {
                throw new IOException("another vdisk node agent is using the state directory " + config.stateDir()
                        + "; give each agent its own --state-dir");
            }
            // the state file names volumes and paths, and the FUSE mount in it serves their images: root's alone.
            // With a holder the mount may be a live connection nobody serves yet: a stat of it would wait for the
            // workers this start has not started, so the tree is tightened once the data path is up.
            if (config.options().descriptors().isEmpty()) {
                PrivateFiles.tightenTree(config.stateDir());
            }
            StateFile stateFile = new StateFile(config.stateFile());
            List<StagedVolume> recorded = stateFile.read();
            pool = openOrCreatePool(config);
            NodeAgent agent = new NodeAgent(config, lockFile, lock, pool, new StagedVolumes(stateFile, recorded));
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
            // after restaging: a resumed split competes with nothing the node needs to come back
            try {
                List<SplitTask> resumed = pool.splits().resume();
                agent.splitQueue.adopt(resumed);
                resumed.forEach(t -> LOG.info("resumed {} split of volume {}", t.mode(), t.vdiskName()));
            } catch (EngineException e) {
                // the clones stay correct (still backed); startSplit resumes them from their cursor
                LOG.warn("resuming interrupted splits failed, they wait for a new request: {}", e.getMessage());
            }
            // then what waited in the queue (the engine records a split only once it starts), then what never started
            try {
                // a request whose engine record says CANCELLED or PAUSED is a resume the crash came too early for
                agent.splitQueue.restore(id -> agent.exists(id)
                        && agent.splits.backingDepth(id) > 0
                        && agent.pool
                                .splits()
                                .task(id)
                                .filter(SplitTask::running)
                                .isEmpty());
            } catch (RuntimeException e) {
                // the volumes are fine; only queued requests and old outcomes are lost, which must not keep the node
                // down
                LOG.error("restoring the split queue failed; queued splits must be asked for again", e);
            }
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
            if (lock != null) {
                lock.release();
            }
            lockFile.close();
            throw e;
        }
    }

    /** Opens the pool in {@code --pool}, or creates it there: sparse, {@code --pool-size} or 90% of the free space. */
    private static Pool openOrCreatePool(AgentConfig config) throws IOException {
        Path dir = config.poolDir();
        if (Files.exists(dir.resolve("pool.properties"))) {
            // a damaged journal refuses to open unless the operator accepted the loss (the pool logs what it lost)
            return Pool.open(
                    dir,
                    PoolOptions.defaults()
                            .withAcceptJournalLoss(config.options().acceptJournalLoss())
                            .withMapCacheBytes(config.options().mapCacheBytes()));
        }
        PrivateFiles.createDirectories(dir);
        long size = config.poolSize().orElseGet(() -> {
            try {
                return Files.getFileStore(dir).getUsableSpace() / 10 * 9;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        size -= size % PoolSpec.DEFAULT_SEGMENT_SIZE;
        LOG.info("creating pool in {} ({} bytes, sparse)", dir, size);
        return Pool.create(
                dir,
                PoolSpec.ofSize(size),
                PoolOptions.defaults().withMapCacheBytes(config.options().mapCacheBytes()));
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
        checkVolumeId(volumeId);
        long size = roundUp(sizeBytes);
        try (var held = locks.lock(volumeId)) {
            Optional<VdiskInfo> existing = info(volumeId);
            if (existing.isPresent()) {
                if (existing.get().sizeBytes() != size) {
                    throw new AgentException(
                            AgentReason.ALREADY_EXISTS,
                            "volume " + volumeId + " exists with "
                                    + existing.get().sizeBytes() + " bytes, not " + size);
                }
                return toVolume(existing.get());
            }
            // attributes first: a crash before the vdisk exists leaves a file that the next create overwrites
            this.attributes.write(volumeId, attributes);
            unreadableAttributes.remove(volumeId);
            splitQueue.forget(volumeId); // a split status of a deleted volume of the same ID
            VdiskInfo created = pool.vdisks().create(volumeId, size);
            LOG.info("created volume {} ({} bytes)", volumeId, size);
            return toVolume(created);
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    @Override
    public AgentVolume updateAttributes(String volumeId, Map<String, String> changes) {
        try (var held = locks.lock(volumeId)) {
            VdiskInfo info = info(volumeId)
                    .orElseThrow(
                            () -> new AgentException(AgentReason.NOT_FOUND, "volume " + volumeId + " does not exist"));
            Map<String, String> merged = new TreeMap<>(attributes.read(volumeId));
            merged.putAll(changes);
            attributes.write(volumeId, merged);
            throttles.update(volumeId, merged);
            LOG.info("volume {} attributes set: {}", volumeId, changes.keySet());
            return toVolume(info);
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    @Override
    public void deleteVolume(String volumeId) {
        try (var held = locks.lock(volumeId)) {
            if (staged.get(volumeId).isPresent()) {
                // DeleteVolume's error reaches the PVC's events: the node, not its kubelet path
                throw new AgentException(
                        AgentReason.FAILED_PRECONDITION,
                        "volume " + volumeId + " is staged on node " + config.nodeId()
                                + "; stop the pods using it (the CO unstages it) before deleting it");
            }
            if (info(volumeId).isEmpty()) {
                if (usableVolumeId(volumeId)) {
                    attributes.delete(volumeId); // left by a crash between the two steps below, if at all
                }
                return;
            }
            splitQueue.forget(volumeId); // a running split is cancelled by the engine's delete
            // vdisk first: attributes without a vdisk are ignored, a vdisk without its attributes would not be
            pool.vdisks().delete(volumeId);
            attributes.delete(volumeId);
            unreadableAttributes.remove(volumeId);
            conditions.remove(volumeId);
            LOG.info("deleted volume {}", volumeId);
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    @Override
    public AgentVolume resizeVolume(String volumeId, long newSizeBytes) {
        try (var held = locks.lock(volumeId)) {
            growWithoutLocking(volumeId, newSizeBytes);
            return toVolume(info(volumeId).orElseThrow());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    @Override
    public Optional<AgentVolume> getVolume(String volumeId) {
        return EngineFailures.translating(() -> info(volumeId).map(this::toVolume));
    }

    @Override
    public List<AgentVolume> listVolumes() {
        return EngineFailures.translating(() -> pool.vdisks().list().stream()
                .filter(v -> !NodeReplicas.isReplicaVdisk(v.name()))
                .map(this::toVolume)
                .toList());
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
        checkVolumeId(newVolumeId);
        long size = roundUp(sizeBytes);
        try (var held = locks.lock(newVolumeId)) {
            Optional<VdiskInfo> existing = info(newVolumeId);
            if (existing.isPresent()) {
                return toVolume(existing.get());
            }
            SnapshotInfo snap = snapshots
                    .info(snapshotId)
                    .orElseThrow(() ->
                            new AgentException(AgentReason.NOT_FOUND, "snapshot " + snapshotId + " does not exist"));
            if (size < snap.sizeBytes()) {
                throw new AgentException(
                        AgentReason.INVALID_ARGUMENT,
                        "a clone of snapshot " + snapshotId + " needs at" + " least its " + snap.sizeBytes()
                                + " bytes, not " + size);
            }
            this.attributes.write(newVolumeId, attrs);
            unreadableAttributes.remove(newVolumeId);
            splitQueue.forget(newVolumeId); // a split status of a deleted volume of the same ID
            pool.snapshots().clone(snapshotId, newVolumeId);
            if (size > snap.sizeBytes()) {
                pool.vdisks().resize(newVolumeId, size);
            }
            LOG.info("cloned snapshot {} as volume {} ({} bytes)", snapshotId, newVolumeId, size);
            return toVolume(info(newVolumeId).orElseThrow());
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
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

    private Optional<VdiskInfo> info(String volumeId) {
        return pool.vdisks().list().stream()
                .filter(v -> v.name().equals(volumeId))
                .findFirst();
    }

    private AgentVolume toVolume(VdiskInfo i) {
        Map<String, String> attrs = readableAttributes(i.name());
        return new AgentVolume(
                i.name(),
                i.sizeBytes(),
                i.allocatedBytes(),
                staged.get(i.name()).isPresent(),
                attrs,
                abnormal(i.name()).or(() -> attributesProblem(i.name())));
    }

    /**
     * The volume's attributes; when its file cannot be read, none, and the volume is marked (its condition names
     * the file) with one log line: one damaged file must not stop the agent or hide the other volumes.
     */
    private Map<String, String> readableAttributes(String volumeId) {
        try {
            Map<String, String> read = attributes.read(volumeId);
            if (unreadableAttributes.remove(volumeId) != null) {
                LOG.info("volume {}: its attributes file {} is readable again", volumeId, attributes.name(volumeId));
            }
            return read;
        } catch (AgentException e) {
            if (unreadableAttributes.put(volumeId, e.getMessage()) == null) {
                LOG.error("volume {}: {}", volumeId, e.getMessage());
            }
            return Map.of();
        }
    }

    /** Why the volume's attributes file cannot be read, if it cannot. */
    public Optional<String> attributesProblem(String volumeId) {
        return Optional.ofNullable(unreadableAttributes.get(volumeId));
    }

    /**
     * The engine allows '.' and '..' as names, but the volume ID is also the image's file name in the FUSE mount and
     * the attributes' file name, so it is checked here before any file is written.
     */
    static boolean usableVolumeId(String volumeId) {
        return VOLUME_ID.matcher(volumeId).matches() && !volumeId.equals(".") && !volumeId.equals("..");
    }

    static void checkVolumeId(String volumeId) {
        if (!usableVolumeId(volumeId)) {
            throw new AgentException(
                    AgentReason.INVALID_ARGUMENT,
                    "volume ID '" + volumeId + "' is not a usable name:"
                            + " use 1-253 characters of A-Z a-z 0-9 . _ : - (not '.' or '..')");
        }
    }

    private static long roundUp(long bytes) {
        if (bytes <= 0) {
            throw new AgentException(AgentReason.INVALID_ARGUMENT, "volume size must be positive, got " + bytes);
        }
        return (bytes + BLOCK - 1) / BLOCK * BLOCK;
    }

    // ---------------------------------------------------------------- node side (the caller holds the volume's lock)

    /** Whether {@code volumeId} exists in the pool. */
    public boolean exists(String volumeId) {
        return info(volumeId).isPresent();
    }

    /** Size of the volume in bytes (its vdisk's size). */
    public long sizeOf(String volumeId) {
        return pool.vdisks().get(volumeId).size();
    }

    /** Attaches the volume's vdisk as a loop device. NOT_FOUND (engine) if the vdisk does not exist. */
    AttachedVolume attachWithoutLocking(String volumeId) throws IOException {
        try {
            return dataPath.attach(volumeId, backendFor(volumeId));
        } catch (IOException | RuntimeException e) {
            throttles.remove(volumeId);
            throw e;
        }
    }

    /**
     * What serves the volume's image: its vdisk, watched for I/O failures and throttled as its attributes say.
     * NOT_FOUND (engine) if the vdisk does not exist.
     */
    BlockBackend backendFor(String volumeId) throws IOException {
        ConditionBackend watched = new ConditionBackend(
                new EngineBackend(pool.vdisks().get(volumeId)),
                conditions.computeIfAbsent(
                        volumeId,
                        id -> new ConditionBackend.Conditions(
                                id, conditionChanges, () -> capacity().availableBytes())));
        return throttles.wrap(volumeId, watched, readableAttributes(volumeId));
    }

    public Optional<AttachedVolume> attached(String volumeId) {
        return dataPath.find(volumeId);
    }

    /** Detaches the volume if attached, and any loop device a dead predecessor left on its image. */
    void detachWithoutLocking(String volumeId) throws IOException {
        Optional<AttachedVolume> ours = dataPath.find(volumeId);
        if (ours.isPresent()) {
            dataPath.detach(volumeId);
        }
        throttles.remove(volumeId);
        for (int n : LoopDevice.findByBackingFile(config.fuseMountPoint().resolve(volumeId))) {
            if (ours.isEmpty() || ours.get().loopNumber() != n) {
                LOG.info("detaching /dev/loop{}, left on the image of volume {} by a dead predecessor", n, volumeId);
                LoopDevice.adopt(n).detach();
            }
        }
    }

    /**
     * Grows the volume to at least {@code requiredBytes} (rounded up to 4 KiB) and, if attached, its loop device.
     * Returns the new size.
     */
    public long growWithoutLocking(String volumeId, long requiredBytes) throws IOException {
        long size = pool.vdisks().get(volumeId).size();
        if (requiredBytes > size) {
            size = pool.vdisks().resize(volumeId, roundUp(requiredBytes)).sizeBytes();
            LOG.info("grew volume {} to {} bytes", volumeId, size);
        }
        if (dataPath.find(volumeId).isPresent()) {
            dataPath.resize(volumeId);
        }
        return size;
    }

    /** Whether the attached volume's writes (or reads) fail now: what, why and since when. */
    public Optional<IoCondition.Failing> ioFailing(String volumeId) {
        return Optional.ofNullable(conditions.get(volumeId)).flatMap(ConditionBackend.Conditions::failing);
    }

    /** How often volumes' I/O started failing and recovered, for the metrics. */
    public IoCondition.Changes ioConditionChanges() {
        return conditionChanges;
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
        for (StagedVolume v : handOver ? List.<StagedVolume>of() : staged.all()) {
            try (var held = locks.lock(v.volumeId())) {
                v.targets().keySet().forEach(Mounter::unmountLazily);
                if (!v.block()) {
                    Mounter.unmountQuietly(v.stagingPath());
                }
                LOG.info("unmounted volume {} for shutdown; it stays recorded as staged", v.volumeId());
            } catch (RuntimeException e) {
                LOG.error("unmounting volume {} for shutdown failed", v.volumeId(), e);
            }
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
            lockFile.close();
        } catch (IOException e) {
            LOG.warn("releasing the state directory lock failed: {}", e.toString());
        }
        LOG.info("node agent stopped");
    }
}
