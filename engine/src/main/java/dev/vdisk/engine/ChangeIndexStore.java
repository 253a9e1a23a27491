package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.format.ChangeIndexSegment;
import dev.vdisk.engine.format.ChangeIndexSegment.Ref;
import dev.vdisk.engine.io.DataSpace;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where one catalog entry's change set lives on disk: one segment per non-empty range of pages (see
 * {@link ChangeIndexSegment}). A consistency point rewrites only the ranges whose pages changed since the previous
 * point ({@link #writeDirty}), into new segments, and drops the reference on the old ones (reusable two points later,
 * like indirect blocks), so a point's cost follows what changed, not the size of the indexes.
 *
 * <p>Guarded by {@code Pool.cpLock}: changed by points and by the entry's deletion, read by the catalog encoding and
 * the check.
 */
final class ChangeIndexStore {
    @GuardedBy("Pool.cpLock")
    private final TreeMap<Long, Ref> refs = new TreeMap<>();

    ChangeIndexStore(List<Ref> loaded) {
        for (Ref r : loaded) {
            refs.put(r.range(), r);
        }
    }

    /**
     * Writes the dirty ranges of {@code changes} to new segments (not yet fsynced: the point's data fsync before the
     * superblock covers them). Returns the number of segments written. If a write fails, the ranges not yet durable
     * stay dirty for the next point.
     */
    @GuardedBy("Pool.cpLock, Pool.destageLock")
    int writeDirty(ChangeSet changes, long owner, DataSpace data, Allocator alloc, ByteBuffer buf) {
        if (!changes.hasDirty()) {
            return 0; // a snapshot's index, or a vdisk not written since the last point: no set to build
        }
        int segmentSize = buf.capacity();
        int per = ChangeIndexSegment.pagesPerSegment(segmentSize);
        TreeSet<Long> dirty = changes.takeDirtyRanges(per);
        int written = 0;
        try {
            while (!dirty.isEmpty()) {
                long range = dirty.first();
                long[] pages = changes.rangePages(range, per);
                Ref old = refs.get(range);
                if (pages.length == 0) {
                    refs.remove(range);
                } else {
                    long vbn = alloc.allocate(false, segmentSize);
                    try {
                        int crc = ChangeIndexSegment.encode(
                                buf, owner, range, pages.length / (1 + ChangeIndexSegment.PAGE_WORDS), pages);
                        data.writeFully(buf.clear(), vbn * segmentSize);
                        refs.put(range, new Ref(range, vbn, crc));
                    } catch (RuntimeException e) {
                        alloc.decref(vbn);
                        throw e;
                    }
                    written++;
                }
                if (old != null) {
                    alloc.decref(old.vbn());
                }
                dirty.pollFirst();
            }
        } finally {
            changes.redirty(dirty, per);
        }
        return written;
    }

    /** The catalog extension naming the segments, or null when the set is empty. */
    @GuardedBy("Pool.cpLock")
    byte[] encodeRefs() {
        return refs.isEmpty() ? null : ChangeIndexSegment.encodeRefs(new ArrayList<>(refs.values()));
    }

    @GuardedBy("Pool.cpLock")
    List<Ref> refs() {
        return List.copyOf(refs.values());
    }

    @GuardedBy("Pool.cpLock")
    int segments() {
        return refs.size();
    }

    /** The entry is deleted: its segments lose their reference (reusable two points later). */
    @GuardedBy("Pool.cpLock")
    void release(Allocator alloc) {
        for (Ref r : refs.values()) {
            alloc.decref(r.vbn());
        }
        refs.clear();
    }
}
