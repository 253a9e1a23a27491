package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.error.VdiskNotFoundException;
import dev.vdisk.engine.format.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pool's lineage queries ({@link Pool#lineage()}): what reads through what, and the space each vdisk and snapshot
 * holds alone or shares. Read-only; {@link #all} holds {@code Pool.cpLock} (no deletion meanwhile) and takes each
 * vdisk's map lock shared in turn.
 */
public final class Lineages {
    private final ReentrantLock cpLock;
    private final PoolHooks pool;
    private final VdiskCatalog catalog;
    private final Allocator alloc;
    private final int segmentSize;

    Lineages(ReentrantLock cpLock, VdiskCatalog catalog, VdiskServices services) {
        this.cpLock = cpLock;
        this.pool = services.pool();
        this.catalog = catalog;
        this.alloc = services.alloc();
        this.segmentSize = services.segmentSize();
    }

    /** Lineage and space of every vdisk and snapshot (hidden ones included), by id. */
    public List<Lineage> all() {
        cpLock.lock();
        try {
            pool.checkOpen();
            List<Lineage> out = new ArrayList<>();
            for (Vdisk v : catalog.all().stream()
                    .sorted(Comparator.comparingLong(Vdisk::id))
                    .toList()) {
                long[] os;
                v.map().lock().readLock().lock();
                try {
                    os = v.map().tree().ownAndSharedSegments(alloc);
                } finally {
                    v.map().lock().readLock().unlock();
                }
                out.add(new Lineage(
                        v.id(),
                        v.name(),
                        v.kind() == Kind.SNAPSHOT,
                        v.hidden(),
                        v.ownerId(),
                        v.backingId(),
                        SnapshotChain.depth(v),
                        v.sizeWithoutCheck(),
                        os[0] * segmentSize,
                        os[1] * segmentSize));
            }
            return out;
        } finally {
            cpLock.unlock();
        }
    }

    /**
     * Names of the vdisks and snapshots whose holes read through snapshot {@code snapshotId} (which may be hidden).
     * Hidden snapshots among them are named with a {@code (hidden)} suffix.
     */
    public List<String> dependents(long snapshotId) {
        pool.checkOpen();
        Vdisk s = catalog.byId(snapshotId);
        if (s == null || s.kind() != Kind.SNAPSHOT) {
            throw new VdiskNotFoundException("no snapshot with id " + snapshotId + " in the pool");
        }
        return SnapshotChain.dependents(catalog.all(), s).stream()
                .map(d -> d.hidden() ? d.name() + " (hidden)" : d.name())
                .toList();
    }

    /** As {@link #dependents(long)} for a visible snapshot. */
    public List<String> dependents(String snapName) {
        return dependents(catalog.snapshot(snapName).id());
    }
}
