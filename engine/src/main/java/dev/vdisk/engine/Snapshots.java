package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.VdiskExistsException;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.Kind;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.map.MapTree;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool's snapshots and clones ({@link Pool#snapshots()}): taking one or a group of snapshots under one consistency
 * point, cloning, read-only handles and listings (lineage is {@link Lineages}', scans {@link ExtentScans}'). Lock
 * order as the pool's: {@code cpLock} &gt; {@code destageLock} &gt; each vdisk's operation lock (ascending id) &gt;
 * its map lock.
 */
public final class Snapshots {
    private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);

    private final Path dir;
    private final PoolHooks pool;
    private final ReentrantLock cpLock;
    private final ReentrantLock destageLock;
    private final VdiskCatalog catalog;
    private final ConsistencyPoints points;
    private final VdiskServices services;
    private final DataSpace data;
    private final Allocator alloc;
    private final Destager destager;
    private final int segmentSize;
    /** Nodes the last snapshot operation touched (written or shared), for the O(1) test. */
    private volatile long lastSnapshotNodes;

    Snapshots(
            Path dir,
            ReentrantLock cpLock,
            ReentrantLock destageLock,
            VdiskCatalog catalog,
            ConsistencyPoints points,
            VdiskServices services) {
        this.dir = dir;
        this.pool = services.pool();
        this.cpLock = cpLock;
        this.destageLock = destageLock;
        this.catalog = catalog;
        this.points = points;
        this.services = services;
        this.data = services.data();
        this.alloc = services.alloc();
        this.destager = services.destager();
        this.segmentSize = services.segmentSize();
    }

    /**
     * Takes snapshot {@code snapName} of vdisk {@code vdiskName}: destages the vdisk's dirty segments, writes its
     * dirty indirect blocks, and shares its tree by one more reference on the root (no walk of the tree); then takes
     * a consistency point, so the snapshot is durable on return. Its content is every write acknowledged before the
     * call.
     */
    public SnapshotInfo take(String vdiskName, String snapName) {
        return takeGroup(Map.of(vdiskName, snapName)).get(0);
    }

    /**
     * Takes one snapshot of each vdisk (key) named by the value, all at one instant and under one consistency point:
     * all or none. Writes to those vdisks wait meanwhile. Returned in the order of the vdisks' ids.
     */
    public List<SnapshotInfo> takeGroup(Map<String, String> snapNamesByVdisk) {
        if (snapNamesByVdisk.isEmpty()) {
            throw new InvalidRangeException("a group snapshot needs at least one vdisk");
        }
        cpLock.lock();
        try {
            pool.checkOpen();
            List<Vdisk> vs = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (Map.Entry<String, String> e : snapNamesByVdisk.entrySet()) {
                vs.add(catalog.vdisk(e.getKey()));
                VdiskCatalog.checkName(e.getValue());
                catalog.checkNameFree(e.getValue());
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
                    v.opLock().writeLock().lock();
                }
                try {
                    ByteBuffer buf = ByteBuffer.allocateDirect(segmentSize);
                    for (Vdisk v : vs) {
                        destager.drainVdiskWithoutLocking(v);
                    }
                    long now = System.currentTimeMillis();
                    for (Vdisk v : vs) {
                        v.map().lock().writeLock().lock();
                        try {
                            nodes += v.map().tree().checkpoint(data, alloc, buf);
                            MapTree shared = v.map().tree().share(alloc);
                            nodes += shared.root() == null ? 0 : 1;
                            CatalogEntry e = new CatalogEntry(
                                    catalog.takeId(),
                                    snapNamesByVdisk.get(v.name()),
                                    Kind.SNAPSHOT,
                                    false,
                                    v.sizeWithoutCheck(),
                                    shared.rootWord0(),
                                    shared.rootWord1(),
                                    shared.height(),
                                    v.id(),
                                    v.backingId(),
                                    v.epoch(),
                                    now,
                                    Map.of());
                            Vdisk s = new Vdisk(services, e, shared);
                            s.linkBacking(v.backing());
                            s.setOriginFamily(v.originFamily());
                            Vdisk youngest = SnapshotChain.youngest(catalog.all(), v.id());
                            if (youngest != null) {
                                youngest.changes().orWith(v.changes()); // frozen: changes between youngest and s
                            }
                            v.changes().clear();
                            v.setEpoch(v.epoch() + 1);
                            catalog.add(s);
                            catalog.name(s);
                            snaps.add(s);
                        } finally {
                            v.map().lock().writeLock().unlock();
                        }
                    }
                } finally {
                    for (Vdisk v : vs) {
                        v.opLock().writeLock().unlock();
                    }
                }
            } finally {
                destageLock.unlock();
            }
            lastSnapshotNodes = nodes;
            points.takeLocked("snapshot " + snaps.stream().map(Vdisk::name).toList(), catalog.all(), catalog.nextId());
            LOG.info(
                    "took snapshot(s) {} in pool {}",
                    snaps.stream().map(Vdisk::name).toList(),
                    dir);
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
        VdiskCatalog.checkName(newName);
        cpLock.lock();
        try {
            pool.checkOpen();
            Vdisk s = catalog.snapshot(snapName);
            catalog.checkNameFree(newName);
            long size = s.sizeWithoutCheck();
            CatalogEntry e = new CatalogEntry(
                    catalog.takeId(),
                    newName,
                    Kind.VDISK,
                    false,
                    size,
                    MapEntry.HOLE,
                    0,
                    MapTree.heightFor(size, segmentSize),
                    0,
                    s.id(),
                    0,
                    System.currentTimeMillis(),
                    Map.of());
            Vdisk v = new Vdisk(services, e, MapTree.empty(services.maps(), e.height()));
            v.linkBacking(s);
            catalog.add(v);
            try {
                points.takeLocked("clone " + snapName + " as " + newName, catalog.all(), catalog.nextId());
            } finally {
                catalog.name(v); // as in create
            }
            LOG.info("cloned snapshot {} as vdisk {} (id {})", snapName, newName, v.id());
            return v.info();
        } finally {
            cpLock.unlock();
        }
    }

    /** A read-only handle on snapshot {@code snapName}: reads as the vdisk read when it was taken; writes refused. */
    public Vdisk reader(String snapName) {
        pool.checkOpen();
        return catalog.snapshot(snapName);
    }

    /** Visible snapshots of vdisk {@code vdiskName} (which must exist), in creation order. */
    public List<SnapshotInfo> of(String vdiskName) {
        pool.checkOpen();
        Vdisk v = catalog.vdisk(vdiskName);
        return SnapshotChain.snapshotsOf(catalog.all(), v.id()).stream()
                .filter(s -> !s.hidden())
                .map(this::snapshotInfo)
                .toList();
    }

    /** All visible snapshots of the pool (also those of deleted vdisks), by vdisk id then creation order. */
    public List<SnapshotInfo> list() {
        pool.checkOpen();
        return catalog.snapshots().stream()
                .sorted(Comparator.comparingLong(Vdisk::ownerId).thenComparingLong(Vdisk::epoch))
                .map(this::snapshotInfo)
                .toList();
    }

    /** Snapshot {@code snapName}'s description. */
    public SnapshotInfo info(String snapName) {
        pool.checkOpen();
        return snapshotInfo(catalog.snapshot(snapName));
    }

    private SnapshotInfo snapshotInfo(Vdisk s) {
        Vdisk owner = catalog.byId(s.ownerId());
        return new SnapshotInfo(
                s.id(),
                s.name(),
                s.ownerId(),
                owner == null || owner.kind() != Kind.VDISK ? null : owner.name(),
                s.epoch(),
                s.sizeWithoutCheck(),
                s.createdMillis(),
                s.backingId(),
                s.hidden());
    }

    /**
     * Releases {@code v}'s tree and removes its entry; a snapshot's change index is OR-merged into its predecessor's
     * (so deltas across it stay correct); then frees hidden backing snapshots that nothing needs any more.
     */
    @GuardedBy("Pool.cpLock, Pool.destageLock")
    void releaseLocked(Vdisk v) {
        points.holdInPlaceUntilNextPoint(); // before the release: see ConsistencyPoints.inPlaceAllowed
        v.growAndDelete().markDeletedAndRelease();
        v.changeIndex().release(alloc);
        catalog.remove(v);
        if (v.kind() == Kind.SNAPSHOT) {
            Vdisk pred = SnapshotChain.predecessor(catalog.all(), v);
            if (pred != null) {
                pred.changes().orWith(v.changes());
            }
        }
        Vdisk b = v.backing();
        if (b != null
                && b.hidden()
                && catalog.isLive(b)
                && SnapshotChain.dependents(catalog.all(), b).isEmpty()) {
            LOG.info("freeing hidden snapshot {} (id {}): its last dependent is gone", b.name(), b.id());
            releaseLocked(b);
        }
    }
}
