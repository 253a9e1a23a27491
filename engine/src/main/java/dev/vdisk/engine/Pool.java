package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.check.FallbackPointCheck;
import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.error.PoolClosedException;
import dev.vdisk.engine.error.PoolLockedException;
import dev.vdisk.engine.error.SplitStateException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.journal.Journal;
import dev.vdisk.engine.journal.JournalLoss;
import dev.vdisk.engine.map.NodeCache;
import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitProgress;
import dev.vdisk.engine.split.SplitTask;
import dev.vdisk.engine.split.Splits;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open storage pool: the entry point of the engine. Create one with {@link #create}, open it with {@link #open},
 * then create, list, resize and delete vdisks and get {@link Vdisk} handles for I/O. Close it to take a final
 * consistency point (nothing to replay at the next open). Thread-safe.
 *
 * <p>The work is in its parts: {@link PoolOpener} (create, open) with {@link CatalogLoader} and {@link PoolReplay}
 * (recovery), {@link Vdisks} (create, delete, resize), {@link Snapshots} (snapshots, clones, deltas), {@link
 * VdiskSplits} and package {@code split} (splits), {@link ConsistencyPoints} ({@link #checkpoint()}) with {@link
 * PointTriggers} (when to take one), {@link PoolCheck} ({@link #check()}); vdisks are {@link Vdisk}s.
 */
public final class Pool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Pool.class);
    /** Largest vdisk: 1 PiB. */
    public static final long MAX_VDISK_SIZE = VdiskCatalog.MAX_VDISK_SIZE;

    private final Path dir;
    private final PoolFiles.Layout layout;
    private final PoolLocks fileLock;
    private final PoolOptions options;
    private final DataSpace data;
    private final Allocator alloc;
    /** The maps' clean indirect blocks, bounded by {@link PoolOptions#mapCacheBytes()}. */
    private final NodeCache maps;
    /** Segments that replayable pointer records name (write anywhere). */
    private final PointerHolds holds = new PointerHolds();

    private final int segmentSize;
    private final Zeros zeros;
    private final Slab slab;
    private final Destager destager;
    private Journal journal;
    /** What vdisks use of the pool; made once the journal is open (before any vdisk exists). */
    private VdiskServices services;
    /** The catalog entries {@link #loadCatalog} read, made into vdisks once the journal is open. */
    private List<CatalogLoader.Loaded> loaded = List.of();

    /**
     * Serialises consistency points and metadata changes (create, delete, resize): guards the catalog maps' structure,
     * the next entry id and the points' superblock and catalog segments.
     */
    private final ReentrantLock cpLock = new ReentrantLock();
    /** Held by the destager around each segment it destages, and by consistency points to quiesce it. */
    private final ReentrantLock destageLock = new ReentrantLock();
    /** Entries by id and name, and the next id (written under cpLock). */
    private final VdiskCatalog catalog;
    /** Consistency points, and the superblock and catalog segments of the last one (guarded by cpLock). */
    private final ConsistencyPoints points;
    /** When points are taken: on request, when due, to free space, as journal backpressure. */
    private final PointTriggers triggers;

    private volatile boolean closed;
    /** Made once the journal is open (before any vdisk exists): snapshots and clones, create/delete/resize, splits. */
    private Snapshots snapshots;

    private Vdisks vdisks;
    private VdiskSplits splits;
    /** Journal records found lost at open and accepted ({@link PoolOptions#acceptJournalLoss()}); set once at open. */
    private volatile List<JournalLoss> journalLosses = List.of();
    /** Tests: runs in {@link #delete} after the in-memory change, just before the point that makes it durable. */
    volatile Runnable beforeDeletePoint = () -> {};

    Pool(Path dir, PoolFiles.Layout layout, PoolLocks fileLock, PoolOptions options, Superblock sb, DataSpace data) {
        this.dir = dir;
        this.layout = layout;
        this.fileLock = fileLock;
        this.options = options;
        this.segmentSize = sb.segmentSize();
        this.data = data;
        this.alloc = new Allocator(sb.segmentCount(), Superblock.reservedSegments(segmentSize));
        this.maps = new NodeCache(data, segmentSize, options.mapCacheBytes());
        this.alloc.holdReuseWhile(holds::holds);
        this.zeros = new Zeros(segmentSize);
        this.slab = new Slab((int) Math.max(2L * segmentSize / Slab.BLOCK + 2, options.dirtyLimitBytes() / Slab.BLOCK));
        this.destager = new Destager(this, segmentSize);
        this.slab.onPressure(() -> destager.wake(true));
        this.catalog = new VdiskCatalog(sb.nextVdiskId());
        this.points = new ConsistencyPoints(dir, options, data, alloc, destageLock, sb);
        this.triggers = new PointTriggers(
                options, cpLock, destageLock, catalog, points, alloc, destager, () -> closed, this::checkOpen);
    }

    // ---------------------------------------------------------------- create and open

    /** Creates a pool in {@code dir} (created if missing) and opens it. */
    public static Pool create(Path dir, PoolSpec spec, PoolOptions options) {
        return PoolOpener.create(dir, spec, options);
    }

    public static Pool create(Path dir, PoolSpec spec) {
        return create(dir, spec, PoolOptions.defaults());
    }

    public static Pool open(Path dir) {
        return open(dir, PoolOptions.defaults());
    }

    /**
     * Opens the pool in {@code dir}: takes the exclusive lock, reads the newest valid superblock slot, loads the catalog,
     * reads every indirect block once (checking CRCs; the node cache keeps what fits), rebuilds reference counts, replays the journal from the replay position
     * (dropping a torn tail) and takes a consistency point.
     *
     * @throws PoolLockedException if another process has it open
     * @throws CorruptMetadataException if metadata fails a checksum or holds an impossible number (the message names
     *     the structure)
     * @throws JournalDamagedException if the journal lost fsynced records and {@link PoolOptions#acceptJournalLoss()}
     *     is off
     */
    public static Pool open(Path dir, PoolOptions options) {
        return PoolOpener.open(dir, options);
    }

    /** As {@link #open(Path, PoolOptions)} with the pool's data space made by {@code dataSpaces} (crash-point tests). */
    static Pool open(Path dir, PoolOptions options, Function<Path, DataSpace> dataSpaces) {
        return PoolOpener.open(dir, options, dataSpaces);
    }

    // ---------------------------------------------------------------- the steps of an open (PoolOpener)

    /** Step 1 of an open: reads the catalog and the maps (vdisks are made once the journal is open). */
    void loadCatalog() {
        Superblock superblock = points.superblock();
        CatalogLoader.Result r = CatalogLoader.load(alloc, maps, superblock);
        points.loaded(r.catalogVbns());
        loaded = r.entries();
        LOG.info(
                "opened pool {}: generation {}, {} vdisks, {} indirect blocks, replay from journal record {}",
                dir,
                superblock.generation(),
                loaded.size(),
                r.indirectBlocks(),
                superblock.replaySeq());
    }

    /** Step 2 (the first of a create): the journal; the loaded vdisks; the background threads. */
    void attachJournal(Journal j) {
        journal = j;
        points.attach(j, holds);
        services = new VdiskServices(
                segmentSize,
                data,
                alloc,
                slab,
                journal,
                destager,
                zeros,
                maps,
                holds,
                options.writeAnywhere(),
                triggers);
        CatalogLoader.makeVdisks(loaded, services, catalog);
        loaded = List.of();
        triggers.attach(j);
        snapshots = new Snapshots(dir, cpLock, destageLock, catalog, points, services);
        vdisks = new Vdisks(dir, services, cpLock, destageLock, catalog, snapshots, triggers);
        splits = new VdiskSplits(
                cpLock,
                catalog,
                new Splits(new PoolSplitHost(
                        services,
                        options.checkpointIntervalMillis(),
                        triggers,
                        cpLock,
                        destageLock,
                        catalog,
                        snapshots)),
                triggers);
        destager.start(dir.getFileName() == null ? "pool" : dir.getFileName().toString());
    }

    /**
     * Step 4 of an open, after the replay: if the journal lost records (and the loss was accepted), keeps what
     * survived: destages it all and takes a point past it, then drops the damaged files and reports the loss.
     */
    void keepWhatSurvivedLosses() {
        journalLosses = PoolReplay.keepWhatSurvived(journal, triggers, catalog, dir);
    }

    UUID uuid() {
        return points.superblock().uuid();
    }

    /** Step 3 of an open: re-applies the journal from {@code from} (the superblock's replay position). */
    void replay(long from) {
        PoolReplay.replay(journal, points, catalog, alloc, holds, from, dir);
    }

    /**
     * The journal records this open found lost and accepted ({@link PoolOptions#acceptJournalLoss()}): empty unless the
     * journal was damaged. {@link JournalLossReport#lines} says which vdisks and ranges may hold older data.
     */
    public List<JournalLoss> journalLosses() {
        return journalLosses;
    }

    /** Names of the vdisks (the writable catalog entries, which journal records name) by id, for reports. */
    public Map<Long, String> vdiskNamesById() {
        return catalog.vdiskNamesById();
    }

    // ---------------------------------------------------------------- vdisks

    /** Creates a thin vdisk of {@code sizeBytes} (a multiple of 4 KiB); allocates nothing. */
    public VdiskInfo create(String name, long sizeBytes) {
        return vdisks.create(name, sizeBytes);
    }

    /** Returns the handle of vdisk {@code name}. */
    public Vdisk vdisk(String name) {
        return vdisks.vdisk(name);
    }

    /**
     * Deletes vdisk or snapshot {@code name}; space becomes reusable after two consistency points (this call takes
     * one). A vdisk's snapshots stay (they hold their trees by reference counts). A snapshot that clones still read
     * through becomes hidden: gone from listings, not clonable, its name reusable; its tree is freed when the last
     * dependent goes (cascading up the backing chain).
     */
    public void delete(String name) {
        vdisks.delete(name, beforeDeletePoint);
    }

    // ---------------------------------------------------------------- snapshots and clones (Snapshots)

    /**
     * Takes snapshot {@code snapName} of vdisk {@code vdiskName}: destages the vdisk's dirty segments, writes its
     * dirty indirect blocks, and shares its tree by one more reference on the root (no walk of the tree); then takes
     * a consistency point, so the snapshot is durable on return. Its content is every write acknowledged before the
     * call.
     */
    public SnapshotInfo snapshot(String vdiskName, String snapName) {
        return snapshots.snapshot(vdiskName, snapName);
    }

    /**
     * Takes one snapshot of each vdisk (key) named by the value, all at one instant and under one consistency point:
     * all or none. Writes to those vdisks wait meanwhile. Returned in the order of the vdisks' ids.
     */
    public List<SnapshotInfo> snapshotGroup(Map<String, String> snapNamesByVdisk) {
        return snapshots.group(snapNamesByVdisk);
    }

    /** What the last consistency point wrote of the catalog and the change indexes (tests). */
    ConsistencyPoints.Written lastPointWritten() {
        return points.lastWritten();
    }

    /** Nodes touched by the last snapshot operation: dirty indirect blocks written plus shared roots (tests). */
    long lastSnapshotNodes() {
        return snapshots.lastSnapshotNodes();
    }

    /**
     * Creates vdisk {@code newName} as a clone of snapshot {@code snapName}: an all-hole map whose holes read through
     * the snapshot (O(1)). The snapshot cannot be freed while the clone (or a snapshot of it) reads through it.
     */
    public VdiskInfo clone(String snapName, String newName) {
        return snapshots.clone(snapName, newName);
    }

    /** A read-only handle on snapshot {@code snapName}: reads as the vdisk read when it was taken; writes refused. */
    public Vdisk snapshotReader(String snapName) {
        return snapshots.snapshotReader(snapName);
    }

    /** Visible snapshots of vdisk {@code vdiskName} (which must exist), in creation order. */
    public List<SnapshotInfo> snapshots(String vdiskName) {
        return snapshots.snapshots(vdiskName);
    }

    /** All visible snapshots of the pool (also those of deleted vdisks), by vdisk id then creation order. */
    public List<SnapshotInfo> snapshots() {
        return snapshots.snapshots();
    }

    /** Snapshot {@code snapName}'s description. */
    public SnapshotInfo snapshotInfo(String snapName) {
        return snapshots.snapshotInfo(snapName);
    }

    /**
     * Names of the vdisks and snapshots whose holes read through snapshot {@code snapshotId} (which may be hidden).
     * Hidden snapshots among them are named with a {@code (hidden)} suffix.
     */
    public List<String> dependents(long snapshotId) {
        return snapshots.dependents(snapshotId);
    }

    /** As {@link #dependents(long)} for a visible snapshot. */
    public List<String> dependents(String snapName) {
        return snapshots.dependents(snapName);
    }

    /** Lineage and space of every vdisk and snapshot (hidden ones included), by id. */
    public List<Lineage> lineage() {
        return snapshots.lineage();
    }

    /**
     * Snapshot {@code snapName}'s in-use extents (data mapped in it or along its backing chain) from byte
     * {@code startOffset}, ascending and coalesced; computed page by page as the iterator is consumed.
     */
    public ExtentScan allocated(String snapName, long startOffset) {
        return snapshots.allocated(snapName, startOffset);
    }

    /**
     * Extents to apply to a copy of snapshot {@code baseSnap} to make it equal to {@code targetSnap} (younger, same
     * vdisk), from byte {@code startOffset}: CHANGED (read from the target) and DEALLOCATED (zero there), ascending,
     * non-overlapping; never a false negative (segments in the outer loop, snapshots base..target-1 in the inner one).
     *
     * @throws VdiskNotFoundException unknown snapshot
     * @throws InvalidRangeException snapshots of different vdisks, or target not younger than base
     */
    public ExtentScan delta(String baseSnap, String targetSnap, long startOffset) {
        return snapshots.delta(baseSnap, targetSnap, startOffset);
    }

    // ---------------------------------------------------------------- splits

    /**
     * Starts detaching clone {@code cloneName} from its backing snapshot in the background and returns the task (see
     * {@code split.Splitter} for the algorithm and its commit protocol). The clone stays online; a user write to a hole
     * always wins over the splitter. If a split of the clone is already running, returns it; if one is recorded
     * (cancelled, paused, or running before a restart), resumes it from its persisted cursor with {@code options}.
     * A vdisk without a backing store has nothing to split: the task is DONE at once (so a retried request succeeds).
     * Returns without a consistency point: the split is durable with the next one (its task takes one within a
     * checkpoint interval of filling, and the last one at the release); a crash before it leaves the pool as if this
     * call never happened, so a caller that must not lose the request records it itself (the node agent does).
     *
     * @throws InvalidRangeException {@code cloneName} names a snapshot (INVALID_ARGUMENT)
     * @throws SplitStateException a split of the clone in the other mode is running or recorded (FAILED_PRECONDITION)
     * @throws OutOfSpaceException COPY: the data still read through the chain is more than the pool's available space
     * @throws VdiskNotFoundException no such vdisk
     */
    public SplitTask split(String cloneName, SplitMode mode, SplitOptions options) {
        return splits.split(cloneName, mode, options);
    }

    /** The split task of vdisk {@code name} in this process (running or finished), if any. */
    public Optional<SplitTask> splitTask(String name) {
        return splits.task(name);
    }

    /**
     * Splits of this pool: tasks of this process (running or finished) and splits recorded in the catalog but not
     * running (phase QUEUED for a RUNNING record not resumed yet, PAUSED, CANCELLED), by vdisk name.
     */
    public List<SplitProgress> splits() {
        return splits.progress();
    }

    /**
     * Restarts every split whose record says RUNNING (interrupted by a close or a crash) from its persisted cursor,
     * with its persisted options. Not done by {@link #open} itself: the pool's owner (the node agent, or the command
     * line's split verb) decides when background relocation may start; offline tools that only look at the pool
     * ({@code vdisk ls}, {@code check}) never move data. PAUSED and CANCELLED splits wait for a {@link #split} call.
     */
    public List<SplitTask> resumeSplits() {
        return splits.resume();
    }

    /** Grows vdisk {@code name} to {@code newSize}; instant, allocates at most a few indirect blocks. */
    public VdiskInfo resize(String name, long newSize) {
        return vdisks.resize(name, newSize);
    }

    /** Vdisks (not snapshots; see {@link #snapshots()}), by name. */
    public List<VdiskInfo> list() {
        return vdisks.list();
    }

    // ---------------------------------------------------------------- consistency points

    /** Takes a consistency point now. */
    public void checkpoint() {
        checkpointWithReason("requested");
    }

    void checkpointWithReason(String why) {
        triggers.checkpoint(why);
    }

    /** Destages every dirty segment now (used before snapshots and by tests), then takes a consistency point. */
    public void drain() {
        triggers.drain();
    }

    /** Called by the checkpointer after each destage round and every tick: a point when one is due. */
    void maybeCheckpoint() {
        triggers.maybeCheckpoint();
    }

    // ---------------------------------------------------------------- check and info

    /** The map node cache's size, bound and hit/load/eviction counts (metrics, tests). */
    public NodeCache.Stats mapCacheStats() {
        return maps.stats();
    }

    /**
     * Checks the pool: walks every tree, re-reads every clean indirect block and verifies its CRC, recomputes every
     * segment's reference count and compares it with the allocator (leaked, doubly owned), finds dangling pointers;
     * then re-reads the previous consistency point's catalog and indirect blocks ({@link FallbackPointCheck}).
     */
    public CheckReport check() {
        return new PoolCheck(data, alloc, segmentSize, cpLock, destageLock, catalog, points, holds)
                .run(this::checkOpen);
    }

    public PoolInfo info() {
        checkOpen();
        Allocator.Usage u = alloc.usage();
        Superblock sb;
        cpLock.lock();
        try {
            sb = points.superblock();
        } finally {
            cpLock.unlock();
        }
        return new PoolInfo(
                dir,
                layout.data(),
                layout.journal(),
                sb.uuid(),
                sb.version(),
                segmentSize,
                sb.segmentCount() * segmentSize,
                u.used() * segmentSize,
                u.free() * segmentSize,
                u.available() * segmentSize,
                u.pending() * segmentSize,
                u.reserved() * segmentSize,
                sb.generation(),
                catalog.vdiskCount(),
                journal.liveBytes(),
                (long) slab.used() * Slab.BLOCK);
    }

    // ---------------------------------------------------------------- close

    /** Destages everything, takes a final consistency point and releases the lock. Stop I/O first. */
    @Override
    public void close() {
        splits.stopAll(); // before cpLock: a task may be waiting for it; its record stays RUNNING
        cpLock.lock();
        try {
            if (closed) {
                return;
            }
            destager.stop();
            triggers.drainLocked("close");
            closed = true;
            journal.close();
            data.close();
            LOG.info("closed pool {} at generation {}", dir, points.superblock().generation());
        } finally {
            cpLock.unlock();
            if (closed) {
                fileLock.close();
            }
        }
    }

    /** Stops everything without a consistency point or journal fsync, as a crash would (tests). */
    void abandonForTesting() {
        abandonQuietly();
    }

    void abandonQuietly() {
        closed = true;
        if (splits != null) { // null when the open failed before the journal
            splits.stopAll();
        }
        destager.stop();
        if (journal != null) {
            journal.abandon();
        }
        data.close();
        fileLock.close();
    }

    // ---------------------------------------------------------------- internal accessors

    void checkOpen() {
        if (closed) {
            throw new PoolClosedException("the pool is closed; open it again");
        }
    }

    void checkOpenForDestage() {
        checkOpen();
    }

    Path dir() {
        return dir;
    }

    PoolOptions options() {
        return options;
    }

    DataSpace data() {
        return data;
    }

    Journal journal() {
        return journal;
    }

    ReentrantLock destageLock() {
        return destageLock;
    }

    @Override
    public String toString() {
        return "pool " + dir;
    }
}
