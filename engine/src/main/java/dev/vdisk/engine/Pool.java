package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.check.FallbackPointCheck;
import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.engine.error.PoolClosedException;
import dev.vdisk.engine.error.PoolLockedException;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.journal.Journal;
import dev.vdisk.engine.journal.JournalLoss;
import dev.vdisk.engine.map.NodeCache;
import dev.vdisk.engine.split.Splits;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open storage pool: the entry point of the engine. Create one with {@link #create}, open it with {@link #open},
 * then use its parts: {@link #vdisks()} (create, delete, resize, list, and {@link Vdisk} handles for I/O), {@link
 * #snapshots()} (snapshots and clones), {@link #extents()} (allocated and delta scans), {@link #lineage()} and {@link
 * #splits()}. The pool itself takes consistency points ({@link #checkpoint()}, {@link #drain()}), checks itself and
 * describes itself. Close it to take a final consistency point (nothing to replay at the next open). Thread-safe.
 *
 * <p>Behind it: {@link PoolOpener} (create, open) with {@link CatalogLoader} and {@link PoolReplay} (recovery),
 * {@link ConsistencyPoints} with {@link PointTriggers} (when to take one), {@link PoolCheck}, and package {@code split}.
 *
 * <p>Locks, in this order: {@code cpLock} (consistency points and catalog changes; owned here, handed to the parts)
 * &gt; {@code destageLock} (the destager around each segment; points quiesce it) &gt; each vdisk's operation lock
 * (ascending id) &gt; its map lock.
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
    // The parts callers use, made once the journal is open (before any vdisk exists); see the accessors.
    private Snapshots snapshots;
    private Vdisks vdisks;
    private VdiskSplits splits;
    private Lineages lineage;
    private ExtentScans extents;
    /** Journal records found lost at open and accepted ({@link PoolOptions#acceptJournalLoss()}); set once at open. */
    private volatile List<JournalLoss> journalLosses = List.of();

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
        this.destager = new Destager(this, segmentSize, maps);
        this.slab.onPressure(() -> destager.wake(true));
        this.catalog = new VdiskCatalog(sb.nextVdiskId());
        this.points = new ConsistencyPoints(dir, options, data, alloc, destageLock, sb);
        this.triggers = new PointTriggers(
                options, cpLock, destageLock, catalog, points, alloc, destager, () -> closed, this::checkOpen);
        triggers.watchMapDirtyBytes(maps::dirtyBytes);
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
        lineage = new Lineages(cpLock, catalog, services);
        extents = new ExtentScans(cpLock, catalog, services);
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

    // ---------------------------------------------------------------- the parts callers use

    /** The vdisks: create, delete (also snapshots), resize, list, and the handles for I/O. */
    public Vdisks vdisks() {
        return vdisks;
    }

    /** Snapshots and clones: take one or a group, clone, read-only handles, listings. */
    public Snapshots snapshots() {
        return snapshots;
    }

    /** Splits of clones from their backing snapshots: start, resume, progress. */
    public VdiskSplits splits() {
        return splits;
    }

    /** What reads through what, and the space each vdisk and snapshot holds alone or shares. */
    public Lineages lineage() {
        return lineage;
    }

    /** The in-use extents of a snapshot and the delta between two snapshots. */
    public ExtentScans extents() {
        return extents;
    }

    /** What the last consistency point wrote of the catalog and the change indexes (tests). */
    ConsistencyPoints.Written lastPointWritten() {
        return points.lastWritten();
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

    /** The destager's early point when dirty map blocks pass their bound (skipped if another holds cpLock). */
    void checkpointIfFree(String why) {
        triggers.checkpointIfFree(why);
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
