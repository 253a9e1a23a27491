package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.check.Checker;
import dev.vdisk.engine.check.FallbackPointCheck;
import dev.vdisk.engine.format.Catalog;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.Kind;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.io.PrivateFiles;
import dev.vdisk.engine.journal.Journal;
import dev.vdisk.engine.journal.JournalLoss;
import dev.vdisk.engine.journal.JournalRecord;
import dev.vdisk.engine.journal.SyncMark;
import dev.vdisk.engine.map.MapTree;
import dev.vdisk.engine.map.Node;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open storage pool: the entry point of the engine. Create one with {@link #create}, open it with {@link #open},
 * then create, list, resize and delete vdisks and get {@link Vdisk} handles for I/O. Close it to take a final
 * consistency point (nothing to replay at the next open). Thread-safe.
 *
 * <p>Consistency points ({@link #checkpoint()}): quiesce the destager; fsync the data space; write every dirty
 * indirect block to a new segment, children first; write the catalog to new segments; fsync; write the superblock
 * slot {@code generation % 2} with the replay position (the oldest journal record not yet destaged); fsync; then
 * release segments freed two points ago and delete journal files wholly before the previous point's replay position.
 */
public final class Pool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pool.class);
    /** Largest vdisk: 1 PiB. */
    public static final long MAX_VDISK_SIZE = 1L << 50;

    private final Path dir;
    private final PoolFiles.Layout layout;
    private final PoolLocks fileLock;
    private final PoolOptions options;
    private final DataSpace data;
    private final Allocator alloc;
    private final int segmentSize;
    private final ByteBuffer zeros;
    private final Slab slab;
    private final Destager destager;
    private Journal journal;

    /**
     * Serialises consistency points and metadata changes (create, delete, resize): guards the catalog maps' structure,
     * {@link #superblock}, {@link #catalogVbns}, {@link #nextVdiskId}, {@link #prevReplaySeq}.
     */
    private final ReentrantLock cpLock = new ReentrantLock();
    /** Held by the destager around each segment it destages, and by consistency points to quiesce it. */
    private final ReentrantLock destageLock = new ReentrantLock();
    @GuardedBy("cpLock")
    private Superblock superblock;
    @GuardedBy("cpLock")
    private long[] catalogVbns = new long[0];
    @GuardedBy("cpLock")
    private long nextVdiskId;
    @GuardedBy("cpLock")
    private long prevReplaySeq;
    private volatile long lastCheckpointNanos = System.nanoTime();
    /**
     * While the journal is replayed at open: the sequence number of the record being applied. A consistency point
     * taken meanwhile (timer, space) must not move the replay position past records not yet back in the changes table.
     */
    private volatile long recoveryCursor = Long.MAX_VALUE;
    /** Written under cpLock; read freely. Vdisks by name. */
    private final ConcurrentHashMap<String, Vdisk> byName = new ConcurrentHashMap<>();
    /** Written under cpLock; read freely. Visible (not hidden) snapshots by name; one namespace with vdisks. */
    private final ConcurrentHashMap<String, Vdisk> snapsByName = new ConcurrentHashMap<>();
    /** Written under cpLock; read freely. Every catalog entry: vdisks, snapshots, hidden snapshots. */
    private final ConcurrentHashMap<Long, Vdisk> byId = new ConcurrentHashMap<>();
    /** Nodes the last snapshot operation touched (written or shared), for the O(1) test. */
    private volatile long lastSnapshotNodes;
    private volatile boolean closed;
    /** Foreground I/O operations (reads, writes, discards) of all vdisks: idle-only splits watch its rate. */
    private final java.util.concurrent.atomic.LongAdder foregroundOps = new java.util.concurrent.atomic.LongAdder();
    /** Split tasks of this process by clone id (running and finished). Written under cpLock; read freely. */
    private final ConcurrentHashMap<Long, SplitTask> splitTasks = new ConcurrentHashMap<>();
    /** Consistency points that took their replay position so far (written under destageLock). */
    private volatile long pointsStarted;
    /** The number of the last point that completed (its superblock durable). */
    private volatile long pointsCompleted;
    /**
     * In-place writes wait for the point of this number to complete: set by a deletion before it releases a tree, since
     * segments the durable pool still shares become exclusive in memory (see {@link #inPlaceAllowed}).
     */
    private volatile long inPlaceBarrier;
    /** Journal records found lost at open and accepted ({@link PoolOptions#acceptJournalLoss()}); set once at open. */
    private volatile List<JournalLoss> journalLosses = List.of();
    /** Tests: runs in {@link #delete} after the in-memory change, just before the point that makes it durable. */
    volatile Runnable beforeDeletePoint = () -> { };

    private Pool(Path dir, PoolFiles.Layout layout, PoolLocks fileLock, PoolOptions options, Superblock sb,
            DataSpace data) {
        this.dir = dir;
        this.layout = layout;
        this.fileLock = fileLock;
        this.options = options;
        this.superblock = sb;
        this.segmentSize = sb.segmentSize();
        this.data = data;
        this.alloc = new Allocator(sb.segmentCount(), Superblock.reservedSegments(segmentSize));
        this.zeros = ByteBuffer.allocateDirect(segmentSize).asReadOnlyBuffer();
        this.slab = new Slab((int) Math.max(2L * segmentSize / Slab.BLOCK + 2, options.dirtyLimitBytes() / Slab.BLOCK));
        this.destager = new Destager(this, segmentSize);
        this.slab.onPressure(() -> destager.wake(true));
        this.nextVdiskId = sb.nextVdiskId();
        this.prevReplaySeq = sb.replaySeq();
    }

    // ---------------------------------------------------------------- create and open

    /** Creates a pool in {@code dir} (created if missing) and opens it. */
    public static Pool create(Path dir, PoolSpec spec, PoolOptions options) {
        int seg = spec.segmentSize();
        if (Integer.bitCount(seg) != 1 || seg < 4096 || seg > (1 << 20)) {
            throw new InvalidRangeException("segment size " + seg + " must be a power of two from 4 KiB to 1 MiB");
        }
        long segments = spec.sizeBytes() / seg;
        long reserved = Superblock.reservedSegments(seg);
        if (segments < reserved + 8) {
            throw new InvalidRangeException("pool size " + spec.sizeBytes() + " holds fewer than " + (reserved + 8)
                    + " segments of " + seg + " bytes; give a larger --size");
        }
        if (segments > Integer.MAX_VALUE) {
            throw new InvalidRangeException("pool size " + spec.sizeBytes() + " has more than 2^31 segments; use a"
                    + " larger segment size");
        }
        try {
            PrivateFiles.createDirectories(dir);
            PrivateFiles.tighten(dir); // made earlier, e.g. by a hostPath volume
        } catch (IOException e) {
            throw new EngineIOException("cannot create pool directory " + dir + ": " + e, e);
        }
        PoolLocks lock = PoolLocks.lockDirectory(dir);
        try {
            if (PoolFiles.exists(dir)) {
                throw new VdiskExistsException("a pool already exists in " + dir + " (" + PoolFiles.PROPERTIES
                        + "); open it instead, e.g. 'vdisk --pool " + dir + " pool info'");
            }
            Path dataPath = spec.device() != null ? spec.device() : dir.resolve(PoolFiles.DATA);
            Path journalDir = spec.journalDir() != null ? spec.journalDir() : dir.resolve(PoolFiles.JOURNAL);
            if (spec.device() == null) {
                PrivateFiles.createIfMissing(dataPath);
            } else if (!Files.isWritable(spec.device())) {
                throw new EngineIOException("device " + spec.device() + " is not writable; check the path and permissions");
            }
            UUID uuid = UUID.randomUUID();
            PoolFiles.Layout layout = new PoolFiles.Layout(dataPath, spec.device() != null, journalDir, uuid);
            CreateGuard.refuseUsedData(dir, layout); // first: its message names the pool there
            CreateGuard.refuseUsedJournal(dir, journalDir);
            lock.lockFiles(dir, layout);
            CreateGuard.refuseUsedData(dir, layout); // again under the lock: nobody created a pool there meanwhile
            if (spec.device() == null) {
                try (RandomAccessFile f = new RandomAccessFile(dataPath.toFile(), "rw")) {
                    f.setLength(segments * seg);
                }
            }
            Superblock sb = new Superblock(Superblock.VERSION, Superblock.BLOCK_SIZE, seg, segments, uuid,
                    0, 0, 0, 0, 0, 1);
            try (DataSpace ds = new DataSpace(dataPath)) {
                ds.writeFully(ByteBuffer.allocateDirect(Superblock.SLOTS * Superblock.SLOT_SIZE), 0);
                ds.force();
            }
            Pool p = new Pool(dir, layout, lock, options, sb, new DataSpace(dataPath));
            try {
                p.journal = Journal.create(journalDir, options.journalFileBytes(), uuid, dir.resolve(SyncMark.FILE));
                p.destager.start(dir.getFileName() == null ? "pool" : dir.getFileName().toString());
                p.checkpointWithReason("create");
                PoolFiles.write(dir, layout);
            } catch (RuntimeException | IOException e) {
                p.abandonQuietly();
                throw e;
            }
            log.info("created pool {} ({} segments of {} bytes, uuid {}, data {}, journal {})", dir, segments, seg,
                    uuid, dataPath, journalDir);
            return p;
        } catch (IOException e) {
            lock.close();
            throw new EngineIOException("cannot create pool in " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    public static Pool create(Path dir, PoolSpec spec) {
        return create(dir, spec, PoolOptions.defaults());
    }

    public static Pool open(Path dir) {
        return open(dir, PoolOptions.defaults());
    }

    /**
     * Opens the pool in {@code dir}: takes the exclusive lock, reads the newest valid superblock slot, loads the catalog
     * and every indirect block (checking CRCs), rebuilds reference counts, replays the journal from the replay position
     * (dropping a torn tail) and takes a consistency point.
     *
     * @throws PoolLockedException if another process has it open
     * @throws CorruptMetadataException if metadata fails a checksum or holds an impossible number (the message names
     *     the structure)
     * @throws JournalDamagedException if the journal lost fsynced records and {@link PoolOptions#acceptJournalLoss()}
     *     is off
     */
    public static Pool open(Path dir, PoolOptions options) {
        return open(dir, options, DataSpace::new);
    }

    /** As {@link #open(Path, PoolOptions)} with the pool's data space made by {@code dataSpaces} (crash-point tests). */
    static Pool open(Path dir, PoolOptions options, java.util.function.Function<Path, DataSpace> dataSpaces) {
        PoolLocks lock = PoolLocks.lockDirectory(dir);
        PoolFiles.Layout layout;
        try {
            layout = PoolFiles.read(dir);
            PoolFiles.refuseCopyNamingOthers(dir, layout);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        Pool p = openLocked(dir, lock, layout, options, dataSpaces);
        if (layout.uuid() == null) { // format 1: record the UUID and store paths inside dir relative to it
            try {
                PoolFiles.write(dir, layout.withUuid(p.superblock.uuid()));
            } catch (IOException | RuntimeException e) {
                log.warn("pool {}: cannot upgrade {} ({}); it stays as it was", dir, PoolFiles.PROPERTIES, e.toString());
            }
        }
        return p;
    }

    /**
     * Opens the pool whose files {@code layout} names, with the directory lock {@code lock} held (released on failure):
     * locks the data space and the journal, reads the newest superblock (refused if its UUID is not the one the layout
     * records), loads, replays and takes a consistency point. A damaged journal (records the replay position or the
     * sync mark needs are bad or missing) is refused unless {@link PoolOptions#acceptJournalLoss()}.
     */
    static Pool openLocked(Path dir, PoolLocks lock, PoolFiles.Layout layout, PoolOptions options,
            java.util.function.Function<Path, DataSpace> dataSpaces) {
        Pool p = null;
        try {
            PoolFiles.makePrivate(dir, layout);
            lock.lockFiles(dir, layout);
            Superblock sb;
            try (DataSpace ds = new DataSpace(layout.data())) {
                sb = newestSuperblock(ds, layout.data());
                MetadataBounds.superblock(sb, layout.device() ? -1 : ds.size(), String.valueOf(
                        layout.data().getFileName()));
            }
            if (layout.uuid() != null && !layout.uuid().equals(sb.uuid())) {
                throw new ForeignPoolFileException("the data " + (layout.device() ? "device " + layout.data()
                        : "file " + layout.data().getFileName()) + " named by " + PoolFiles.PROPERTIES, sb.uuid(),
                        layout.uuid());
            }
            p = new Pool(dir, layout, lock, options, sb, dataSpaces.apply(layout.data()));
            p.load();
            p.journal = Journal.open(layout.journal(), options.journalFileBytes(), sb.replaySeq(), sb.uuid(),
                    dir.resolve(SyncMark.FILE), options.acceptJournalLoss());
            p.destager.start(dir.getFileName() == null ? "pool" : dir.getFileName().toString());
            p.replay(sb.replaySeq());
            p.journalLosses = p.journal.losses();
            if (!p.journalLosses.isEmpty()) {
                // keep what survived: destage it all and take a point past it, then drop the damaged files
                p.drain();
                p.journal.startOverAfterLoss();
                for (String line : JournalLossReport.lines(p.journalLosses, p.vdiskNamesById())) {
                    log.warn("pool {}: {}", dir, line);
                }
            }
            p.checkpointWithReason("recovery");
            return p;
        } catch (RuntimeException e) {
            if (p != null) {
                p.abandonQuietly();
            } else {
                lock.close();
            }
            throw e;
        }
    }

    /** Reads both slots and returns the valid one with the highest generation. */
    static Superblock newestSuperblock(DataSpace ds, Path where) {
        Superblock best = null;
        for (int slot = 0; slot < Superblock.SLOTS; slot++) {
            ByteBuffer b = ByteBuffer.allocateDirect(Superblock.SLOT_SIZE);
            ds.readFully(b, (long) slot * Superblock.SLOT_SIZE);
            Superblock s = Superblock.decode(b.flip());
            if (s == null) {
                log.warn("superblock slot {} of {} is invalid (torn or never written); using the other", slot, where);
            } else if (best != null && !best.uuid().equals(s.uuid())) {
                throw new CorruptMetadataException("the two superblock slots of " + where + " belong to different"
                        + " pools (" + best.uuid() + " and " + s.uuid() + "): another pool was created over part of"
                        + " it; run 'vdisk check' and restore it from a backup");
            } else if (best == null || s.generation() > best.generation()) {
                best = s;
            }
        }
        if (best == null) {
            throw new CorruptMetadataException("no valid superblock in " + where + " (both slots fail their checksum);"
                    + " this is not a vdisk pool or it is damaged beyond automatic repair");
        }
        return best;
    }

    private void load() {
        int[] counts = new int[(int) superblock.segmentCount()];
        ByteBuffer buf = ByteBuffer.allocateDirect(segmentSize);
        // grown as verified segments arrive: the length (bounded at open) is not allocated on the superblock's word
        byte[] payload = new byte[Math.min(superblock.catalogLength(), 1 << 20)];
        List<Long> vbns = new ArrayList<>();
        long vbn = superblock.catalogVbn();
        int crc = superblock.catalogCrc();
        int at = 0;
        while (vbn != 0) {
            if (!alloc.isDataVbn(vbn) || vbns.contains(vbn)) {
                throw new CorruptMetadataException("catalog segment pointer " + vbn + " is dangling or loops; run vdisk check");
            }
            if (payload.length < superblock.catalogLength() && payload.length - at < Catalog.payloadPerSegment(segmentSize)) {
                payload = java.util.Arrays.copyOf(payload, (int) Math.min(superblock.catalogLength(),
                        Math.max(2L * payload.length, at + (long) Catalog.payloadPerSegment(segmentSize))));
            }
            data.readFully(buf.clear(), vbn * segmentSize);
            Catalog.Segment s = Catalog.decodeSegment(buf, vbn, crc, payload, at);
            at += s.length();
            counts[(int) vbn]++;
            vbns.add(vbn);
            vbn = s.nextVbn();
            crc = s.nextCrc();
        }
        if (at != superblock.catalogLength()) {
            throw new CorruptMetadataException("catalog holds " + at + " bytes where the superblock says "
                    + superblock.catalogLength() + "; run vdisk check");
        }
        catalogVbns = vbns.stream().mapToLong(Long::longValue).toArray();
        Map<Long, Node> loaded = new HashMap<>();
        for (CatalogEntry e : Catalog.decodePayload(payload)) {
            MetadataBounds.entry(e, segmentSize);
            MapTree t = MapTree.load(data, alloc, segmentSize, "vdisk " + e.name(), e.rootWord0(), e.rootWord1(),
                    e.height(), counts, loaded, buf);
            Vdisk v = new Vdisk(this, e, t);
            byId.put(e.id(), v);
            if (e.kind() == Kind.VDISK) {
                byName.put(e.name(), v);
            } else if (!e.hidden()) {
                snapsByName.put(e.name(), v);
            }
        }
        for (Vdisk v : byId.values()) {
            if (v.backingId() != 0) {
                Vdisk b = byId.get(v.backingId());
                if (b == null || b.kind() != Kind.SNAPSHOT) {
                    throw new CorruptMetadataException(v + " reads through backing snapshot id " + v.backingId()
                            + " which is not in the catalog; run vdisk check");
                }
                v.linkBacking(b);
            }
        }
        alloc.rebuild(counts, loaded.size());
        alloc.setCatalogSegments(catalogVbns.length);
        log.info("opened pool {}: generation {}, {} vdisks, {} indirect blocks, replay from journal record {}", dir,
                superblock.generation(), byId.size(), loaded.size(), superblock.replaySeq());
    }

    private void replay(long from) {
        recoveryCursor = from;
        long n = journal.replay(from, (seq, id, off, len, type, payload) -> {
            recoveryCursor = seq;
            Vdisk v = byId.get(id);
            if (v == null) {
                return;
            }
            if (type == JournalRecord.TYPE_WRITE) {
                v.replayWrite(seq, off, payload);
            } else {
                v.replayDiscard(seq, off, len);
            }
        });
        recoveryCursor = Long.MAX_VALUE;
        if (n > 0) {
            log.info("replayed {} journal records of pool {} from record {}", n, dir, from);
        }
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
        Map<Long, String> out = new java.util.TreeMap<>();
        for (Vdisk v : byId.values()) {
            if (v.kind() == Kind.VDISK) {
                out.put(v.id(), v.name());
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- vdisks

    /** Creates a thin vdisk of {@code sizeBytes} (a multiple of 4 KiB); allocates nothing. */
    public VdiskInfo create(String name, long sizeBytes) {
        checkName(name);
        checkSize(sizeBytes);
        cpLock.lock();
        try {
            checkOpen();
            checkNameFree(name);
            long id = nextVdiskId++;
            CatalogEntry e = new CatalogEntry(id, name, Kind.VDISK, false, sizeBytes, MapEntry.HOLE, 0,
                    MapTree.heightFor(sizeBytes, segmentSize), 0, 0, 0, System.currentTimeMillis(), Map.of());
            Vdisk v = new Vdisk(this, e, MapTree.empty(segmentSize, e.height()));
            byId.put(id, v);
            try {
                checkpointLocked("create " + name);
            } finally {
                byName.put(name, v); // found (and written) only once durable: replay drops records of unknown ids
            }
            log.info("created vdisk {} (id {}, {} bytes) in pool {}", name, id, sizeBytes, dir);
            return info(v);
        } finally {
            cpLock.unlock();
        }
    }

    /** Returns the handle of vdisk {@code name}. */
    public Vdisk vdisk(String name) {
        checkOpen();
        Vdisk v = byName.get(name);
        if (v == null) {
            throw new VdiskNotFoundException("vdisk " + name + " does not exist in the pool; list them with 'vdisk ls'");
        }
        return v;
    }

    /**
     * Deletes vdisk or snapshot {@code name}; space becomes reusable after two consistency points (this call takes
     * one). A vdisk's snapshots stay (they hold their trees by reference counts). A snapshot that clones still read
     * through becomes hidden: gone from listings, not clonable, its name reusable; its tree is freed when the last
     * dependent goes (cascading up the backing chain).
     */
    public void delete(String name) {
        cpLock.lock();
        try {
            checkOpen();
            Vdisk v = byName.get(name);
            if (v == null) {
                v = snapshotNamed(name);
            }
            // destageLock until the point is durable: the release makes segments the durable pool still shares
            // with v exclusive in memory, and a destage in between would write over them in place
            destageLock.lock();
            try {
                if (v.kind() == Kind.SNAPSHOT) {
                    snapsByName.remove(name);
                    if (!SnapshotChain.dependents(byId.values(), v).isEmpty()) {
                        v.hide();
                        log.info("snapshot {} (id {}) hidden: clones still read through it", name, v.id());
                    } else {
                        removeLocked(v);
                    }
                } else {
                    byName.remove(name);
                    removeLocked(v);
                }
                beforeDeletePoint.run();
                checkpointLocked("delete " + name);
            } finally {
                destageLock.unlock();
            }
            log.info("deleted {} (id {}) from pool {}", name, v.id(), dir);
        } finally {
            cpLock.unlock();
        }
    }

    /**
     * Releases {@code v}'s tree and removes its entry; a snapshot's change index is OR-merged into its predecessor's
     * (so deltas across it stay correct); then frees hidden backing snapshots that nothing needs any more.
     */
    @GuardedBy("cpLock, destageLock")
    private void removeLocked(Vdisk v) {
        inPlaceBarrier = pointsStarted + 1; // before the release: see inPlaceAllowed
        v.markDeletedAndRelease();
        byId.remove(v.id());
        if (v.kind() == Kind.SNAPSHOT) {
            Vdisk pred = SnapshotChain.predecessor(byId.values(), v);
            if (pred != null) {
                pred.changes.orWith(v.changes);
            }
        }
        Vdisk b = v.backing();
        if (b != null && b.hidden() && byId.containsKey(b.id()) && SnapshotChain.dependents(byId.values(), b).isEmpty()) {
            log.info("freeing hidden snapshot {} (id {}): its last dependent is gone", b.name(), b.id());
            removeLocked(b);
        }
    }

    private Vdisk snapshotNamed(String name) {
        Vdisk s = snapsByName.get(name);
        if (s == null) {
            throw new VdiskNotFoundException("vdisk or snapshot " + name + " does not exist in the pool; list them"
                    + " with 'vdisk ls'");
        }
        return s;
    }

    @GuardedBy("cpLock")
    private void checkNameFree(String name) {
        if (byName.containsKey(name) || snapsByName.containsKey(name)) {
            throw new VdiskExistsException((byName.containsKey(name) ? "vdisk " : "snapshot ") + name
                    + " already exists in the pool; pick another name or delete it first");
        }
    }

    // ---------------------------------------------------------------- snapshots and clones

    /**
     * Takes snapshot {@code snapName} of vdisk {@code vdiskName}: destages the vdisk's dirty segments, writes its
     * dirty indirect blocks, and shares its tree by one more reference on the root (no walk of the tree); then takes
     * a consistency point, so the snapshot is durable on return. Its content is every write acknowledged before the
     * call.
     */
    public SnapshotInfo snapshot(String vdiskName, String snapName) {
        return snapshotGroup(Map.of(vdiskName, snapName)).get(0);
    }

    /**
     * Takes one snapshot of each vdisk (key) named by the value, all at one instant and under one consistency point:
     * all or none. Writes to those vdisks wait meanwhile. Returned in the order of the vdisks' ids.
     */
    public List<SnapshotInfo> snapshotGroup(Map<String, String> snapNamesByVdisk) {
        if (snapNamesByVdisk.isEmpty()) {
            throw new InvalidRangeException("a group snapshot needs at least one vdisk");
        }
        cpLock.lock();
        try {
            checkOpen();
            List<Vdisk> vs = new ArrayList<>();
            java.util.Set<String> names = new java.util.HashSet<>();
            for (Map.Entry<String, String> e : snapNamesByVdisk.entrySet()) {
                vs.add(vdisk(e.getKey()));
                checkName(e.getValue());
                checkNameFree(e.getValue());
                if (!names.add(e.getValue())) {
                    throw new VdiskExistsException("snapshot name " + e.getValue() + " is given twice in one group");
                }
            }
            vs.sort(Comparator.comparingLong(Vdisk::id));
            List<Vdisk> snaps = new ArrayList<>();
            long nodes = 0;
            destageLock.lock();
            try {
                for (Vdisk v : vs) { // lock order among vdisks: ascending id
                    v.opLock.writeLock().lock();
                }
                try {
                    ByteBuffer buf = ByteBuffer.allocateDirect(segmentSize);
                    for (Vdisk v : vs) {
                        destager.drainVdiskWithoutLocking(v);
                    }
                    long now = System.currentTimeMillis();
                    for (Vdisk v : vs) {
                        v.mapLock.writeLock().lock();
                        try {
                            nodes += v.tree.checkpoint(data, alloc, buf);
                            MapTree shared = v.tree.share(alloc);
                            nodes += shared.root() == null ? 0 : 1;
                            CatalogEntry e = new CatalogEntry(nextVdiskId++, snapNamesByVdisk.get(v.name()),
                                    Kind.SNAPSHOT, false, v.sizeWithoutCheck(), shared.rootWord0(),
                                    shared.rootWord1(), shared.height(), v.id(), v.backingId(), v.epoch(), now,
                                    Map.of());
                            Vdisk s = new Vdisk(this, e, shared);
                            s.linkBacking(v.backing());
                            s.setOriginFamily(v.originFamily());
                            Vdisk youngest = SnapshotChain.youngest(byId.values(), v.id());
                            if (youngest != null) {
                                youngest.changes.orWith(v.changes); // frozen: changes between youngest and s
                            }
                            v.changes.clear();
                            v.setEpoch(v.epoch() + 1);
                            byId.put(s.id(), s);
                            snapsByName.put(s.name(), s);
                            snaps.add(s);
                        } finally {
                            v.mapLock.writeLock().unlock();
                        }
                    }
                } finally {
                    for (Vdisk v : vs) {
                        v.opLock.writeLock().unlock();
                    }
                }
            } finally {
                destageLock.unlock();
            }
            lastSnapshotNodes = nodes;
            checkpointLocked("snapshot " + snaps.stream().map(Vdisk::name).toList());
            log.info("took snapshot(s) {} in pool {}", snaps.stream().map(Vdisk::name).toList(), dir);
            return snaps.stream().map(this::snapshotInfo).toList();
        } finally {
            cpLock.unlock();
        }
    }

    /** Nodes touched by the last snapshot operation: dirty indirect blocks written plus shared roots (tests). */
    long lastSnapshotNodes() {
        return lastSnapshotNodes;
    }

    /**
     * Creates vdisk {@code newName} as a clone of snapshot {@code snapName}: an all-hole map whose holes read through
     * the snapshot (O(1)). The snapshot cannot be freed while the clone (or a snapshot of it) reads through it.
     */
    public VdiskInfo clone(String snapName, String newName) {
        checkName(newName);
        cpLock.lock();
        try {
            checkOpen();
            Vdisk s = snapshotNamed(snapName);
            checkNameFree(newName);
            long size = s.sizeWithoutCheck();
            CatalogEntry e = new CatalogEntry(nextVdiskId++, newName, Kind.VDISK, false, size, MapEntry.HOLE, 0,
                    MapTree.heightFor(size, segmentSize), 0, s.id(), 0, System.currentTimeMillis(), Map.of());
            Vdisk v = new Vdisk(this, e, MapTree.empty(segmentSize, e.height()));
            v.linkBacking(s);
            byId.put(v.id(), v);
            try {
                checkpointLocked("clone " + snapName + " as " + newName);
            } finally {
                byName.put(newName, v); // as in create
            }
            log.info("cloned snapshot {} as vdisk {} (id {})", snapName, newName, v.id());
            return info(v);
        } finally {
            cpLock.unlock();
        }
    }

    /** A read-only handle on snapshot {@code snapName}: reads as the vdisk read when it was taken; writes refused. */
    public Vdisk snapshotReader(String snapName) {
        checkOpen();
        return snapshotNamed(snapName);
    }

    /** Visible snapshots of vdisk {@code vdiskName} (which must exist), in creation order. */
    public List<SnapshotInfo> snapshots(String vdiskName) {
        Vdisk v = vdisk(vdiskName);
        return SnapshotChain.snapshotsOf(byId.values(), v.id()).stream().filter(s -> !s.hidden())
                .map(this::snapshotInfo).toList();
    }

    /** All visible snapshots of the pool (also those of deleted vdisks), by vdisk id then creation order. */
    public List<SnapshotInfo> snapshots() {
        checkOpen();
        return snapsByName.values().stream()
                .sorted(Comparator.comparingLong(Vdisk::ownerId).thenComparingLong(Vdisk::epoch))
                .map(this::snapshotInfo).toList();
    }

    /** Snapshot {@code snapName}'s description. */
    public SnapshotInfo snapshotInfo(String snapName) {
        checkOpen();
        return snapshotInfo(snapshotNamed(snapName));
    }

    private SnapshotInfo snapshotInfo(Vdisk s) {
        Vdisk owner = byId.get(s.ownerId());
        return new SnapshotInfo(s.id(), s.name(), s.ownerId(), owner == null || owner.kind() != Kind.VDISK ? null
                : owner.name(), s.epoch(), s.sizeWithoutCheck(), s.createdMillis(), s.backingId(), s.hidden());
    }

    /**
     * Names of the vdisks and snapshots whose holes read through snapshot {@code snapshotId} (which may be hidden).
     * Hidden snapshots among them are named with a {@code (hidden)} suffix.
     */
    public List<String> dependents(long snapshotId) {
        checkOpen();
        Vdisk s = byId.get(snapshotId);
        if (s == null || s.kind() != Kind.SNAPSHOT) {
            throw new VdiskNotFoundException("no snapshot with id " + snapshotId + " in the pool");
        }
        return SnapshotChain.dependents(byId.values(), s).stream()
                .map(d -> d.hidden() ? d.name() + " (hidden)" : d.name()).toList();
    }

    /** As {@link #dependents(long)} for a visible snapshot. */
    public List<String> dependents(String snapName) {
        return dependents(snapshotNamed(snapName).id());
    }

    /** Lineage and space of every vdisk and snapshot (hidden ones included), by id. */
    public List<Lineage> lineage() {
        cpLock.lock();
        try {
            checkOpen();
            List<Lineage> out = new ArrayList<>();
            for (Vdisk v : byId.values().stream().sorted(Comparator.comparingLong(Vdisk::id)).toList()) {
                long[] os;
                v.mapLock.readLock().lock();
                try {
                    os = v.tree.ownAndSharedSegments(alloc);
                } finally {
                    v.mapLock.readLock().unlock();
                }
                out.add(new Lineage(v.id(), v.name(), v.kind() == Kind.SNAPSHOT, v.hidden(), v.ownerId(),
                        v.backingId(), SnapshotChain.depth(v), v.sizeWithoutCheck(), os[0] * segmentSize,
                        os[1] * segmentSize));
            }
            return out;
        } finally {
            cpLock.unlock();
        }
    }

    /**
     * Snapshot {@code snapName}'s in-use extents (data mapped in it or along its backing chain) from byte
     * {@code startOffset}, ascending and coalesced; computed page by page as the iterator is consumed.
     */
    public ExtentScan allocated(String snapName, long startOffset) {
        Vdisk s = snapshotNamed(snapName);
        return new ExtentScan(this, null, s, List.of(), startOffset);
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
        cpLock.lock();
        try {
            checkOpen();
            Vdisk l = snapshotNamed(baseSnap);
            Vdisk m = snapshotNamed(targetSnap);
            if (l.ownerId() != m.ownerId()) {
                throw new InvalidRangeException("snapshots " + baseSnap + " and " + targetSnap
                        + " are of different vdisks; a delta needs two snapshots of the same vdisk");
            }
            if (m.epoch() <= l.epoch()) {
                throw new InvalidRangeException("snapshot " + targetSnap + " is not younger than " + baseSnap
                        + "; give the older snapshot as the base");
            }
            List<Vdisk> between = SnapshotChain.snapshotsOf(byId.values(), l.ownerId()).stream()
                    .filter(x -> x.epoch() >= l.epoch() && x.epoch() < m.epoch()).toList();
            return new ExtentScan(this, l, m, between, startOffset);
        } finally {
            cpLock.unlock();
        }
    }

    // ---------------------------------------------------------------- splits

    /**
     * Starts detaching clone {@code cloneName} from its backing snapshot in the background and returns the task (see
     * {@link Splitter} for the algorithm and its commit protocol). The clone stays online; a user write to a hole
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
        cpLock.lock();
        try {
            checkOpen();
            if (snapsByName.containsKey(cloneName)) {
                throw new InvalidRangeException("snapshot " + cloneName + " cannot be split: only a clone (a vdisk"
                        + " reading through a backing snapshot) has a backing store to split off");
            }
            Vdisk v = vdisk(cloneName);
            SplitTask t = splitTasks.get(v.id());
            SplitCursor rec = v.split();
            SplitMode recorded = t != null && t.running() ? t.mode() : rec != null ? rec.mode() : null;
            if (recorded != null && recorded != mode) {
                throw new SplitStateException("a " + recorded + " split of vdisk " + cloneName + " is "
                        + (t != null && t.running() ? "running" : "recorded at segment " + rec.cursor())
                        + "; continue it in mode " + recorded.name().toLowerCase() + " (modes cannot be mixed)");
            }
            if (t != null && t.running()) {
                return t;
            }
            Splitter s = new Splitter(this, v, mode);
            if (v.backing() == null) {
                t = new SplitTask(this, s, new SplitCursor(mode, SplitCursor.State.RUNNING, s.segments(), 0, 0,
                        options, null), SplitPhase.DONE);
                log.info("split of vdisk {}: it has no backing store; nothing to do", cloneName);
                splitTasks.put(v.id(), t);
                return t;
            }
            long from = rec == null ? 0 : Math.min(rec.cursor(), s.segments());
            if (mode == SplitMode.COPY) {
                long need = s.segmentsToFill(from);
                need += need / Math.max(1, segmentSize / 16) + 2L * v.tree.height();
                long avail = alloc.usage().available();
                if (need > avail) {
                    throw new OutOfSpaceException("copy split of vdisk " + cloneName + " (" + need
                            + " segments of data and map still come from its backing chain)", avail * segmentSize,
                            need * segmentSize);
                }
            }
            rec = rec == null ? new SplitCursor(mode, SplitCursor.State.RUNNING, 0, 0, 0, options, null)
                    : new SplitCursor(mode, SplitCursor.State.RUNNING, from, rec.filled(), rec.bytesRelocated(),
                            options, null);
            // no consistency point here: the record rides on the next one, with the first fills (step 1 of the
            // protocol); until then nothing durable has changed and a crash simply undoes the request
            v.setSplit(rec);
            t = new SplitTask(this, s, rec, SplitPhase.SCANNING);
            splitTasks.put(v.id(), t);
            t.start();
            log.info("started {} split of vdisk {} from segment {} (rate {} B/s, idle only {})", mode, cloneName, from,
                    options.rateBytesPerSecond(), options.idleOnly());
            return t;
        } finally {
            cpLock.unlock();
        }
    }

    /** The split task of vdisk {@code name} in this process (running or finished), if any. */
    public java.util.Optional<SplitTask> splitTask(String name) {
        checkOpen();
        Vdisk v = byName.get(name);
        return v == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(splitTasks.get(v.id()));
    }

    /**
     * Splits of this pool: tasks of this process (running or finished) and splits recorded in the catalog but not
     * running (phase QUEUED for a RUNNING record not resumed yet, PAUSED, CANCELLED), by vdisk name.
     */
    public List<SplitProgress> splits() {
        checkOpen();
        List<SplitProgress> out = new ArrayList<>();
        for (Vdisk v : byName.values()) {
            SplitTask t = splitTasks.get(v.id());
            SplitCursor r = v.split();
            if (t != null && (t.running() || r == null || t.progress().phase() != SplitPhase.QUEUED)) {
                out.add(t.progress());
            } else if (r != null) {
                long total = (v.sizeWithoutCheck() + segmentSize - 1) / segmentSize;
                SplitPhase ph = switch (r.state()) {
                    case RUNNING -> SplitPhase.QUEUED;
                    case PAUSED -> SplitPhase.PAUSED;
                    case CANCELLED -> SplitPhase.CANCELLED;
                };
                out.add(new SplitProgress(v.name(), r.mode(), ph, Math.min(r.cursor(), total), total, 0, r.filled(),
                        r.bytesRelocated(), -1, 0, -1, r.error()));
            }
        }
        out.sort(Comparator.comparing(SplitProgress::vdiskName));
        return out;
    }

    /**
     * Restarts every split whose record says RUNNING (interrupted by a close or a crash) from its persisted cursor,
     * with its persisted options. Not done by {@link #open} itself: the pool's owner (the node agent, or the command
     * line's split verb) decides when background relocation may start; offline tools that only look at the pool
     * ({@code vdisk ls}, {@code check}) never move data. PAUSED and CANCELLED splits wait for a {@link #split} call.
     */
    public List<SplitTask> resumeSplits() {
        checkOpen();
        List<SplitTask> out = new ArrayList<>();
        for (Vdisk v : new ArrayList<>(byName.values())) {
            SplitCursor r = v.split();
            if (r != null && r.state() == SplitCursor.State.RUNNING) {
                out.add(split(v.name(), r.mode(), r.options()));
            }
        }
        return out;
    }

    /** A split task's periodic or final consistency point (persists its cursor with the map). */
    void checkpointForSplit(String why) {
        checkpointWithReason("split " + why);
    }

    /**
     * Step 5 of {@link Splitter}'s protocol (under cpLock and destageLock; the clone's operation lock only for the
     * flip): if no hole of the clone reads data through its chain, clears its backing,
     * frees a hidden former backing that lost its last dependent, drops the split record and takes a consistency
     * point; returns -1. Otherwise returns the first such hole and changes nothing.
     */
    long releaseSplit(Splitter s) {
        Vdisk clone = s.vdisk();
        cpLock.lock();
        try {
            checkOpen();
            Vdisk former;
            destageLock.lock();
            try {
                // Holes never come back and maps change only under destageLock (held), so the scan needs no
                // operation lock: writes go on during it. Only the flip itself excludes them.
                long hole = s.firstHoleReadingData();
                if (hole >= 0) {
                    log.warn("split of vdisk {}: segment {} still reads the backing; filling again", clone.name(), hole);
                    return hole;
                }
                clone.opLock.writeLock().lock();
                try {
                    former = clone.backing();
                    long family = SnapshotChain.family(clone);
                    clone.mapLock.writeLock().lock();
                    try {
                        clone.setOriginFamily(family);
                        clone.unlinkBacking();
                        clone.setSplit(null);
                    } finally {
                        clone.mapLock.writeLock().unlock();
                    }
                } finally {
                    clone.opLock.writeLock().unlock();
                }
                if (former != null && former.hidden() && byId.containsKey(former.id())
                        && SnapshotChain.dependents(byId.values(), former).isEmpty()) {
                    log.info("freeing hidden snapshot {} (id {}): split vdisk {} was its last dependent",
                            former.name(), former.id(), clone.name());
                    removeLocked(former);
                }
                checkpointLocked("split " + clone.name() + " release"); // under destageLock, as in delete
            } finally {
                destageLock.unlock();
            }
            log.info("split of vdisk {} released its backing snapshot {}", clone.name(),
                    former == null ? "(none)" : former.name());
            return -1;
        } finally {
            cpLock.unlock();
        }
    }

    void noteForegroundIo() {
        foregroundOps.increment();
    }

    long foregroundOps() {
        return foregroundOps.sum();
    }

    ReentrantLock cpLock() {
        return cpLock;
    }

    boolean isLive(Vdisk v) {
        return byId.get(v.id()) == v;
    }

    /** Grows vdisk {@code name} to {@code newSize}; instant, allocates at most a few indirect blocks. */
    public VdiskInfo resize(String name, long newSize) {
        checkSize(newSize);
        cpLock.lock();
        try {
            checkOpen();
            Vdisk v = vdisk(name);
            long old = v.size();
            if (newSize < old) {
                throw new ShrinkNotSupportedException("vdisk " + name + " is " + old + " bytes; shrinking to " + newSize
                        + " is not supported (vdisks only grow): copy the data to a smaller vdisk instead");
            }
            if (newSize > old) {
                destageLock.lock();
                try {
                    v.grow(newSize);
                } finally {
                    destageLock.unlock();
                }
                checkpointLocked("resize " + name);
                v.publishSize(); // only now: a write beyond the old size is durable only with the new size
                log.info("resized vdisk {} from {} to {} bytes", name, old, newSize);
            }
            return info(v);
        } finally {
            cpLock.unlock();
        }
    }

    /** Vdisks (not snapshots; see {@link #snapshots()}), by name. */
    public List<VdiskInfo> list() {
        checkOpen();
        return byName.values().stream().sorted(Comparator.comparing(Vdisk::name)).map(this::info).toList();
    }

    private VdiskInfo info(Vdisk v) {
        return new VdiskInfo(v.id(), v.name(), v.sizeWithoutCheck(), v.allocatedBytes(), v.createdMillis());
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 253 || !name.matches("[A-Za-z0-9._:-]+")) {
            throw new InvalidRangeException("vdisk name '" + name + "' is invalid: use 1-253 characters of"
                    + " letters, digits, '.', '_', ':' and '-'");
        }
    }

    private static void checkSize(long size) {
        if (size <= 0 || size % Slab.BLOCK != 0 || size > MAX_VDISK_SIZE) {
            throw new InvalidRangeException("vdisk size " + size + " must be a positive multiple of 4096 up to "
                    + MAX_VDISK_SIZE + " bytes");
        }
    }

    // ---------------------------------------------------------------- consistency points

    /** Takes a consistency point now. */
    public void checkpoint() {
        checkpointWithReason("requested");
    }

    private void checkpointWithReason(String why) {
        cpLock.lock();
        try {
            checkOpen();
            checkpointLocked(why);
        } finally {
            cpLock.unlock();
        }
    }

    /** Destages every dirty segment now (used before snapshots and by tests), then takes a consistency point. */
    public void drain() {
        cpLock.lock();
        try {
            checkOpen();
            destageLock.lock();
            try {
                destager.drainAllWithoutLocking(byId.values());
            } finally {
                destageLock.unlock();
            }
            checkpointLocked("drain");
        } finally {
            cpLock.unlock();
        }
    }

    @GuardedBy("cpLock")
    private void checkpointLocked(String why) {
        long t0 = System.nanoTime();
        // write back what the destager wrote so far before stopping it: the fsync under destageLock below then has
        // little left to do (it took up to hundreds of ms under a sequential write, and writers waited for the slab)
        data.force();
        destageLock.lock();
        try {
            long point = pointsStarted + 1;
            pointsStarted = point;
            // close the touched generations before reading the journal's next sequence number: a record appended
            // after that read is marked after it, so in the new generation
            for (Vdisk v : byId.values()) {
                v.touched.close();
            }
            long nextSeq = journal.nextSeq();
            for (Vdisk v : byId.values()) {
                v.touched.seal(nextSeq);
            }
            long replay = Math.min(nextSeq, recoveryCursor);
            for (Vdisk v : byId.values()) {
                for (DirtySegment ds : v.table.values()) {
                    ds.lock.lock();
                    try {
                        if (!ds.dead) {
                            replay = Math.min(replay, ds.minSeq);
                        }
                    } finally {
                        ds.lock.unlock();
                    }
                }
            }
            data.force();
            ByteBuffer buf = ByteBuffer.allocateDirect(segmentSize);
            List<CatalogEntry> entries = new ArrayList<>();
            for (Vdisk v : byId.values()) {
                v.mapLock.writeLock().lock();
                try {
                    v.tree.checkpoint(data, alloc, buf);
                    entries.add(v.toCatalogEntryWithoutLocking());
                } finally {
                    v.mapLock.writeLock().unlock();
                }
            }
            entries.sort(Comparator.comparingLong(CatalogEntry::id));
            byte[] payload = Catalog.encodePayload(entries);
            int k = Catalog.segmentsFor(payload.length, segmentSize);
            alloc.setCatalogSegments(k);
            long[] vbns = new long[k];
            for (int i = 0; i < k; i++) {
                vbns[i] = alloc.allocate(false, segmentSize);
            }
            long nextVbn = 0;
            int nextCrc = 0;
            int per = Catalog.payloadPerSegment(segmentSize);
            for (int i = k - 1; i >= 0; i--) {
                int from = i * per;
                int len = Math.min(per, payload.length - from);
                nextCrc = Catalog.encodeSegment(buf, payload, from, Math.max(0, len), nextVbn, nextCrc);
                data.writeFully(buf.clear(), vbns[i] * segmentSize);
                nextVbn = vbns[i];
            }
            data.force();
            Superblock next = superblock.next(vbns[0], nextCrc, payload.length, replay, nextVdiskId);
            data.writeFully(next.encode(), (long) next.slot() * Superblock.SLOT_SIZE);
            data.force();
            for (long v : catalogVbns) {
                alloc.decref(v);
            }
            catalogVbns = vbns;
            superblock = next;
            for (Vdisk v : byId.values()) {
                v.touched.retire(replay);
            }
            pointsCompleted = point;
            long released = alloc.checkpointDurable();
            journal.deleteBefore(prevReplaySeq);
            prevReplaySeq = replay;
            lastCheckpointNanos = System.nanoTime();
            log.debug("consistency point {} of pool {} ({}): replay from {}, released {} segments, {} us",
                    next.generation(), dir, why, replay, released, (System.nanoTime() - t0) / 1000);
        } finally {
            destageLock.unlock();
        }
    }

    /**
     * Whether writes may go to the data space in place (checked after the segment's reference count was read, which
     * the deletion changes under the allocator's lock after setting the barrier). A deletion releases a tree in memory
     * before its point is durable: a segment it shared becomes exclusive in memory while the durable pool still gives
     * it to the deleted object, so until that point completes no write goes in place. (A segment an in-place write may
     * take already has its change bit set, which a vdisk's segment shared with a snapshot never has; this is the
     * second line.)
     */
    boolean inPlaceAllowed() {
        return pointsCompleted >= inPlaceBarrier;
    }

    /** Called by the checkpointer after each destage round and every tick: checkpoint when due (timer, journal size, pending frees). */
    void maybeCheckpoint() {
        boolean due = System.nanoTime() - lastCheckpointNanos > options.checkpointIntervalMillis() * 1_000_000L;
        boolean changed = journal.nextSeq() != prevReplaySeq || alloc.usage().pending() > 0;
        boolean big = journal.liveBytes() > options.checkpointJournalBytes();
        if (((due && changed) || big) && !closed && cpLock.tryLock()) {
            try {
                if (!closed) {
                    checkpointLocked(big ? "journal size" : "timer");
                }
            } finally {
                cpLock.unlock();
            }
        }
    }

    /**
     * Called by a writer (holding no lock) whose reservation failed: destages everything (turning over-sized
     * reservations into real allocations and returning the rest) and takes a consistency point, so that segments freed
     * earlier move towards reuse. Returns false if nothing is reserved or pending (retrying would not help).
     */
    boolean checkpointToFreeSpace() {
        Allocator.Usage u = alloc.usage();
        if (u.pending() == 0 && u.reserved() == 0) {
            return false;
        }
        drain();
        return true;
    }

    /** Backpressure on the journal: a writer waits while it is beyond the hard limit. */
    void throttle() {
        for (int i = 0; i < 1000 && journal.liveBytes() > options.journalHardLimitBytes(); i++) {
            destager.wake(true);
            checkpointWithReason("journal backpressure");
            if (journal.liveBytes() > options.journalHardLimitBytes()) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    // ---------------------------------------------------------------- check and info

    /**
     * Checks the pool: walks every tree, re-reads every clean indirect block and verifies its CRC, recomputes every
     * segment's reference count and compares it with the allocator (leaked, doubly owned), finds dangling pointers;
     * then re-reads the previous consistency point's catalog and indirect blocks ({@link FallbackPointCheck}).
     */
    public CheckReport check() {
        cpLock.lock();
        try {
            checkOpen();
            destageLock.lock();
            List<Vdisk> vs = new ArrayList<>(byId.values());
            vs.sort(Comparator.comparingLong(Vdisk::id));
            for (Vdisk v : vs) {
                v.mapLock.readLock().lock();
            }
            try {
                List<Checker.Tree> trees = new ArrayList<>();
                for (Vdisk v : vs) {
                    String what = v.kind() == Kind.SNAPSHOT ? (v.hidden() ? "hidden snapshot " : "snapshot ")
                            : "vdisk ";
                    trees.add(new Checker.Tree(what + v.name(), SnapshotChain.family(v), v.tree));
                }
                CheckReport r = new Checker(data, alloc, segmentSize).check(trees, catalogVbns, superblock);
                List<CheckReport.Problem> problems = new ArrayList<>(r.problems());
                new FallbackPointCheck(data, alloc.firstDataVbn(), alloc.segmentCount(), segmentSize)
                        .check(superblock, problems);
                return new CheckReport(problems, r.trees(), r.indirectBlocks(), r.dataSegments());
            } finally {
                for (Vdisk v : vs) {
                    v.mapLock.readLock().unlock();
                }
                destageLock.unlock();
            }
        } finally {
            cpLock.unlock();
        }
    }

    public PoolInfo info() {
        checkOpen();
        Allocator.Usage u = alloc.usage();
        Superblock sb;
        cpLock.lock();
        try {
            sb = superblock;
        } finally {
            cpLock.unlock();
        }
        return new PoolInfo(dir, layout.data(), layout.journal(), sb.uuid(), sb.version(), segmentSize,
                sb.segmentCount() * segmentSize, u.used() * segmentSize, u.free() * segmentSize,
                u.available() * segmentSize, u.pending() * segmentSize, u.reserved() * segmentSize, sb.generation(),
                byName.size(), journal.liveBytes(), (long) slab.used() * Slab.BLOCK);
    }

    // ---------------------------------------------------------------- close

    /** Destages everything, takes a final consistency point and releases the lock. Stop I/O first. */
    @Override
    public void close() {
        for (SplitTask t : splitTasks.values()) {
            t.stopAndJoin(); // before cpLock: a task may be waiting for it; its record stays RUNNING
        }
        cpLock.lock();
        try {
            if (closed) {
                return;
            }
            destager.stop();
            destageLock.lock();
            try {
                destager.drainAllWithoutLocking(byId.values());
            } finally {
                destageLock.unlock();
            }
            checkpointLocked("close");
            closed = true;
            journal.close();
            data.close();
            log.info("closed pool {} at generation {}", dir, superblock.generation());
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

    private void abandonQuietly() {
        closed = true;
        for (SplitTask t : splitTasks.values()) {
            t.stopAndJoin();
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

    int segmentSize() {
        return segmentSize;
    }

    Slab slab() {
        return slab;
    }

    DataSpace data() {
        return data;
    }

    Journal journal() {
        return journal;
    }

    Allocator allocator() {
        return alloc;
    }

    Destager destager() {
        return destager;
    }

    ReentrantLock destageLock() {
        return destageLock;
    }

    ByteBuffer zeros() {
        return zeros;
    }

    /** Puts {@code n} zero bytes at {@code dst}'s position and advances it. */
    void zero(ByteBuffer dst, int n) {
        int p = dst.position();
        int done = 0;
        while (done < n) {
            int c = Math.min(n - done, zeros.capacity());
            dst.put(p + done, zeros, 0, c);
            done += c;
        }
        dst.position(p + n);
    }

    @Override
    public String toString() {
        return "pool " + dir;
    }
}
