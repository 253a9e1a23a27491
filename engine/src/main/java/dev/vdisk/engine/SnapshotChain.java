package dev.vdisk.engine;

import dev.vdisk.engine.format.Kind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Relations between catalog entries, computed from the pool's id map (small: one entry per vdisk and snapshot):
 * a vdisk's snapshots in sequence order (hidden ones included), a snapshot's predecessor, its dependents and the
 * sharing family of a tree. Callers hold {@code Pool.cpLock} (the set of entries does not change meanwhile).
 */
final class SnapshotChain {
    private SnapshotChain() {}

    /** Snapshots taken of vdisk {@code ownerId} still in the catalog (hidden included), oldest first. */
    static List<Vdisk> snapshotsOf(Collection<Vdisk> all, long ownerId) {
        List<Vdisk> out = new ArrayList<>();
        for (Vdisk v : all) {
            if (v.kind() == Kind.SNAPSHOT && v.ownerId() == ownerId) {
                out.add(v);
            }
        }
        out.sort(Comparator.comparingLong(Vdisk::epoch));
        return out;
    }

    /** The youngest snapshot of {@code ownerId}, or null. */
    static Vdisk youngest(Collection<Vdisk> all, long ownerId) {
        List<Vdisk> s = snapshotsOf(all, ownerId);
        return s.isEmpty() ? null : s.get(s.size() - 1);
    }

    /** The snapshot of the same vdisk taken just before {@code snap} and still in the catalog, or null. */
    static Vdisk predecessor(Collection<Vdisk> all, Vdisk snap) {
        Vdisk best = null;
        for (Vdisk v : snapshotsOf(all, snap.ownerId())) {
            if (v.epoch() < snap.epoch()) {
                best = v;
            }
        }
        return best;
    }

    /** Entries whose holes read through {@code snap}: clones, and snapshots of clones (which inherit the backing). */
    static List<Vdisk> dependents(Collection<Vdisk> all, Vdisk snap) {
        List<Vdisk> out = new ArrayList<>();
        for (Vdisk v : all) {
            if (v.backing() == snap) {
                out.add(v);
            }
        }
        out.sort(Comparator.comparingLong(Vdisk::id));
        return out;
    }

    /** Length of {@code v}'s backing chain. */
    static int depth(Vdisk v) {
        int d = 0;
        for (Vdisk b = v.backing(); b != null; b = b.backing()) {
            d++;
        }
        return d;
    }

    /**
     * The family of {@code v}'s tree for the check (trees of one family may share blocks): the original vdisk at the
     * top of the owner/backing relations. Works when the owner vdisk was deleted (its id still names the family).
     */
    static long family(Vdisk v) {
        Vdisk cur = v;
        for (int i = 0; i < 100_000; i++) {
            Vdisk b = cur.backing();
            if (b != null) {
                cur = b;
            } else if (cur.originFamily() != 0) {
                return cur.originFamily(); // a split clone (or its snapshot) may still share segments with its former
                // chain
            } else {
                return cur.kind() == Kind.SNAPSHOT ? cur.ownerId() : cur.id();
            }
        }
        return cur.id();
    }
}
