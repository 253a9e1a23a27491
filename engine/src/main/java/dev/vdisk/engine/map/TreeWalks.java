package dev.vdisk.engine.map;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.format.MapEntry;
import java.util.function.LongConsumer;

/**
 * Read-only traversals of a {@link MapTree} below a given node: the range scans, the whole-tree walk and the release
 * of a deleted tree's references. Clean nodes load through the cache as the walk reaches them, so a walk holds one
 * path, not the tree. The caller holds the tree's map lock as {@link MapTree} says.
 */
final class TreeWalks {
    private final MapTree tree;
    private final int fanout;
    private final int shift;

    TreeWalks(MapTree tree, int fanout, int shift) {
        this.tree = tree;
        this.fanout = fanout;
        this.shift = shift;
    }

    /** Calls {@code action} with every mapped segment index in {@code [from, to)}. */
    void forEachMapped(Node n, int level, long base, long from, long to, LongConsumer action) {
        long span = 1L << (shift * (level - 1));
        for (int i = 0; i < fanout; i++) {
            long first = base + i * span;
            if (first >= to || first + span <= from) {
                continue;
            }
            if (level == 1) {
                if (MapEntry.isMapped(n.words[2 * i])) {
                    action.accept(first);
                }
            } else {
                Node c = tree.child(n, i);
                if (c != null) {
                    forEachMapped(c, level - 1, first, from, to, action);
                }
            }
        }
    }

    /** The smallest mapped segment index {@code >= from}, or -1 if none. Skips missing subtrees. */
    long nextMapped(Node n, int level, long base, long from) {
        long span = 1L << (shift * (level - 1));
        int i0 = from <= base ? 0 : (int) Math.min(fanout, (from - base) / span);
        for (int i = i0; i < fanout; i++) {
            long first = base + i * span;
            if (level == 1) {
                if (first >= from && MapEntry.isMapped(n.words[2 * i])) {
                    return first;
                }
            } else {
                Node c = tree.child(n, i);
                long r = c == null ? -1 : nextMapped(c, level - 1, first, from);
                if (r >= 0) {
                    return r;
                }
            }
        }
        return -1;
    }

    /**
     * Data bytes this tree references alone ({@code [0]}: data count 1 and no shared node on the path) and shares
     * with other trees ({@code [1]}).
     */
    void ownAndShared(Node n, boolean shared, Allocator alloc, long[] r) {
        boolean s = shared || (n.vbn != 0 && alloc.refcount(n.vbn) > 1);
        for (int i = 0; i < fanout; i++) {
            if (n.level > 1) {
                Node c = tree.child(n, i);
                if (c != null) {
                    ownAndShared(c, s, alloc, r);
                }
            } else if (MapEntry.isMapped(n.words[2 * i])) {
                r[s || alloc.refcount(MapEntry.vbn(n.words[2 * i])) > 1 ? 1 : 0]++;
            }
        }
    }

    long release(Node n, Allocator alloc) {
        if (n.vbn != 0 && alloc.refcount(n.vbn) > 1) {
            alloc.decref(n.vbn);
            return 0;
        }
        long released = 1;
        for (int i = 0; i < fanout; i++) {
            if (n.level > 1) {
                Node c = tree.child(n, i);
                if (c != null) {
                    released += release(c, alloc);
                }
            } else if (MapEntry.isMapped(n.words[2 * i])) {
                alloc.decref(MapEntry.vbn(n.words[2 * i]));
            }
        }
        if (n.vbn != 0) {
            alloc.decref(n.vbn);
            tree.released(n);
        }
        return released;
    }

    void walk(Node n, int level, long base, int crc, MapTree.Visitor v) {
        if (!v.node(n, level, base, crc)) {
            return;
        }
        long span = 1L << (shift * (level - 1));
        for (int i = 0; i < fanout; i++) {
            if (n.level > 1) {
                Node c = tree.child(n, i);
                if (c != null) {
                    walk(c, level - 1, base + i * span, MapEntry.crc(n.words[2 * i + 1]), v);
                }
            } else if (MapEntry.isMapped(n.words[2 * i])) {
                v.data(MapEntry.vbn(n.words[2 * i]), base + i, n);
            }
        }
    }

    /**
     * True if segment {@code seg} is mapped below {@code n} (at {@code level}) and owned alone: no node on the path
     * and not the data segment has a count above 1 (see {@link MapTree#exclusivelyMapped}).
     */
    boolean exclusivelyMapped(Node n, int level, long seg, Allocator alloc) {
        for (; ; level--) {
            if (n.vbn != 0 && alloc.refcount(n.vbn) > 1) {
                return false;
            }
            if (level == 1) {
                break;
            }
            n = tree.child(n, tree.index(seg, level));
            if (n == null) {
                return false;
            }
        }
        long w0 = n.words[2 * tree.index(seg, 1)];
        return MapEntry.isMapped(w0) && alloc.refcount(MapEntry.vbn(w0)) == 1;
    }
}
