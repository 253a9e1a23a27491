package dev.vdisk.engine.map;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.format.IndirectBlock;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.io.DataSpace;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * A vdisk's map: a radix tree of indirect blocks from segment index to {@link MapEntry}. The root entry lives in the
 * catalog; {@code height} levels of indirect blocks lie below it, level 1 holding data entries. A hole root means
 * the whole vdisk is a hole, so a new vdisk of any size allocates nothing.
 *
 * <p>Sharing: an indirect block is reference-counted like a data segment. Sharing a whole tree is taking one
 * reference on the root's segment (after a consistency point gave every node a segment); {@link #set} copies any
 * shared node on the way down (path copy), incrementing its children's counts.
 *
 * <p>On disk with a bounded cache: clean nodes are read through the pool's {@link NodeCache} (CRC-checked on every
 * load) and may be evicted between two uses; dirty nodes are pinned here (the root) or by their dirty parent until
 * {@link #checkpoint} writes them (see {@link Node}). Heap use is the cache's bound plus the nodes changed since the
 * last consistency point.
 *
 * <p>Not thread-safe: every method needs the owning vdisk's map lock (read for lookups, write for changes); a reader
 * uses the nodes it got only while it holds the read lock.
 */
public final class MapTree {
    private final NodeCache cache;
    private final int fanout;
    private final int shift;
    private final TreeWalks walks;

    @GuardedBy("Vdisk.mapLock")
    private int height;

    /** The root while it is dirty; null when the root is clean (entry {@link #rootWord0}) or absent. */
    @GuardedBy("Vdisk.mapLock")
    private Node dirtyRoot;

    @GuardedBy("Vdisk.mapLock")
    private long rootWord0;

    @GuardedBy("Vdisk.mapLock")
    private long rootWord1;
    /** Dirty nodes this tree pins (counted in the cache's {@link NodeCache#dirtyBytes} too). */
    @GuardedBy("Vdisk.mapLock")
    private long dirtyNodes;
    /** Nodes created by the last {@link #set} or {@link #grow}, for the allocator's accounting. */
    @GuardedBy("Vdisk.mapLock")
    private int lastCreated;

    private MapTree(NodeCache cache, int height) {
        this.cache = cache;
        this.fanout = cache.fanout();
        this.shift = Integer.numberOfTrailingZeros(fanout);
        this.walks = new TreeWalks(this, fanout, shift);
        this.height = height;
    }

    public static MapTree empty(NodeCache cache, int height) {
        return new MapTree(cache, height);
    }

    /**
     * The tree whose root entry the catalog holds: nothing is read here (blocks load on first use, and the open's
     * reference count walk has already checked them, see {@link ReferenceScan}).
     */
    public static MapTree open(NodeCache cache, long word0, long word1, int height) {
        MapTree t = new MapTree(cache, height);
        t.rootWord0 = word0;
        t.rootWord1 = word1;
        return t;
    }

    /** Levels needed to address {@code sizeBytes}. */
    public static int heightFor(long sizeBytes, int segmentSize) {
        int shift = Integer.numberOfTrailingZeros(IndirectBlock.fanout(segmentSize));
        long segments = Math.max(1, (sizeBytes + segmentSize - 1) / segmentSize);
        int h = 1;
        while (shift * h < 62 && (1L << (shift * h)) < segments) {
            h++;
        }
        return h;
    }

    public int height() {
        return height;
    }

    public long rootWord0() {
        return rootWord0;
    }

    public long rootWord1() {
        return rootWord1;
    }

    /** The root node (loaded through the cache if clean), or null if the tree has none. */
    public Node root() {
        if (dirtyRoot != null) {
            return dirtyRoot;
        }
        return MapEntry.isMapped(rootWord0)
                ? cache.get(MapEntry.vbn(rootWord0), MapEntry.crc(rootWord1), height)
                : null;
    }

    /** Child {@code i} of {@code n} (level above 1): its dirty child, else the clean block its entry names, or null. */
    public Node child(Node n, int i) {
        Node c = n.dirtyChild(i);
        if (c != null) {
            return c;
        }
        long w0 = n.words[2 * i];
        return MapEntry.isMapped(w0)
                ? cache.get(MapEntry.vbn(w0), MapEntry.crc(n.words[2 * i + 1]), n.level - 1)
                : null;
    }

    /** True if reads find zeros everywhere without a block (a whole-vdisk zero root). */
    boolean zeroRoot() {
        return dirtyRoot == null && rootWord0 == MapEntry.ZERO;
    }

    public int lastCreated() {
        return lastCreated;
    }

    /** {@link HoleFill} starts its count of created nodes (as {@link #set} does in {@code leafForWrite}). */
    void noneCreated() {
        lastCreated = 0;
    }

    int index(long seg, int level) {
        return (int) ((seg >>> (shift * (level - 1))) & (fanout - 1));
    }

    /** The data entry's word0 for segment {@code seg} ({@link MapEntry#HOLE} where no block exists). */
    public long lookup(long seg) {
        Node n = root();
        if (n == null) {
            return zeroRoot() ? MapEntry.ZERO : MapEntry.HOLE;
        }
        for (int level = height; level > 1; level--) {
            n = child(n, index(seg, level));
            if (n == null) {
                return MapEntry.HOLE;
            }
        }
        return n.words[2 * index(seg, 1)];
    }

    /**
     * Word0 of the data entries of segments {@code [from, from + n)}, which lie in one level-1 block, into
     * {@code out[0..n)}: {@link #lookup} for each, with one walk down the tree.
     */
    public void lookupRun(long from, int n, long[] out) {
        Node leaf = leafOf(from, n);
        if (leaf == null) {
            long w = zeroRoot() ? MapEntry.ZERO : MapEntry.HOLE;
            Arrays.fill(out, 0, n, w);
            return;
        }
        int i0 = index(from, 1);
        for (int i = 0; i < n; i++) {
            out[i] = leaf.words[2 * (i0 + i)];
        }
    }

    /**
     * The level-1 block holding segments {@code [from, from + n)}, which must lie in one such block, or null where the
     * tree has none.
     */
    Node leafOf(long from, int n) {
        if ((from >>> shift) != ((from + n - 1) >>> shift)) {
            throw new IllegalArgumentException("segments " + from + " +" + n + " span more than one indirect block");
        }
        Node leaf = root();
        for (int level = height; level > 1 && leaf != null; level--) {
            leaf = child(leaf, index(from, level));
        }
        return leaf;
    }

    /**
     * Sets segment {@code seg}'s entry, creating missing indirect blocks and copying shared ones on the way down;
     * marks the path dirty. Returns the previous word0; {@link #lastCreated()} tells how many nodes were created.
     * The caller owns references: it has counted the new data segment and drops the old one.
     */
    public long set(long seg, long word0, int birth, Allocator alloc) {
        Node n = leafForWrite(seg, alloc);
        int i = index(seg, 1);
        long old = n.words[2 * i];
        n.words[2 * i] = word0;
        n.words[2 * i + 1] = MapEntry.word1(0, birth);
        return old;
    }

    /**
     * The level-1 block holding {@code seg}, made writable: missing blocks created, shared ones copied on the way down
     * (path copy), the path marked dirty; {@link #lastCreated()} counts the nodes created.
     */
    Node leafForWrite(long seg, Allocator alloc) {
        lastCreated = 0;
        Node r = root();
        if (r == null) {
            r = new Node(height, fanout);
            rootWord0 = 0;
            rootWord1 = 0;
            lastCreated++;
        } else {
            r = exclusive(r, alloc);
        }
        dirtyRoot = makeDirty(r);
        Node n = r;
        for (int level = height; level > 1; level--) {
            int i = index(seg, level);
            Node c = child(n, i);
            if (c == null) {
                c = new Node(level - 1, fanout);
                lastCreated++;
            } else {
                c = exclusive(c, alloc);
            }
            n.children()[i] = makeDirty(c);
            n = c;
        }
        return n;
    }

    /** Marks {@code n} dirty; a clean node changed in place leaves the cache (its segment's copy is now stale). */
    private Node makeDirty(Node n) {
        if (!n.dirty) {
            if (n.vbn != 0) {
                cache.forget(n.vbn);
            }
            n.dirty = true;
            dirtied(1);
        }
        return n;
    }

    private void dirtied(long delta) {
        dirtyNodes += delta;
        cache.dirtied(delta);
    }

    /** Returns {@code n} if this tree owns it alone, else a dirty private copy (path copy). */
    private Node exclusive(Node n, Allocator alloc) {
        if (n.vbn == 0 || alloc.refcount(n.vbn) <= 1) {
            return n;
        }
        // shared, so clean (a snapshot shares only clean trees): no dirty children to carry over
        Node copy = new Node(n.level, fanout);
        System.arraycopy(n.words, 0, copy.words, 0, n.words.length);
        for (int i = 0; i < fanout; i++) {
            long v = MapEntry.vbn(n.words[2 * i]);
            if (v != 0) {
                alloc.incref(v);
            }
        }
        alloc.decref(n.vbn);
        copy.dirty = true;
        dirtied(1);
        lastCreated++;
        return copy;
    }

    /** Adds levels on top so that the tree addresses {@code newHeight} levels; returns the nodes created. */
    public int grow(int newHeight) {
        int created = 0;
        while (height < newHeight) {
            if (dirtyRoot != null || MapEntry.isMapped(rootWord0)) {
                Node r = new Node(height + 1, fanout);
                if (dirtyRoot != null) {
                    r.children()[0] = dirtyRoot;
                }
                r.words[0] = rootWord0;
                r.words[1] = rootWord1;
                r.dirty = true;
                dirtied(1);
                dirtyRoot = r;
                created++;
            }
            height++;
        }
        return created;
    }

    /**
     * Writes every dirty node to a newly allocated segment, children before parents so that each parent carries its
     * child's CRC, and drops the reference on each node's previous segment; the written nodes join the cache as
     * clean ones. {@code buf} is one segment.
     */
    public int checkpoint(DataSpace data, Allocator alloc, ByteBuffer buf) {
        if (dirtyRoot == null) {
            return 0;
        }
        NodeWriter w = new NodeWriter(data, alloc, buf, cache);
        int crc = w.write(dirtyRoot);
        rootWord0 = MapEntry.mapped(dirtyRoot.vbn);
        rootWord1 = MapEntry.word1(crc, 0);
        dirtyRoot = null;
        dirtied(-dirtyNodes); // every dirty node hangs under the root: all written
        return w.written();
    }

    /**
     * A new tree sharing this one's whole map by one more reference on the root's segment (O(1): nothing else is
     * touched). The root must be clean (a consistency point gave every node a segment): later changes to either tree
     * path-copy the shared nodes.
     */
    public MapTree share(Allocator alloc) {
        if (dirtyRoot != null) {
            throw new IllegalStateException("share of a tree with a dirty root; take a consistency point first");
        }
        MapTree t = new MapTree(cache, height);
        t.rootWord0 = rootWord0;
        t.rootWord1 = rootWord1;
        if (MapEntry.isMapped(rootWord0)) {
            alloc.incref(MapEntry.vbn(rootWord0));
        }
        return t;
    }

    /**
     * True if segment {@code seg} is mapped and this tree owns its data alone: the data segment's count is 1 and no
     * indirect block on the path is shared. After a snapshot shares the root, every data count is still 1 until a
     * path copy reaches it, so the data count alone does not tell (the no-write state lives on the path).
     */
    public boolean exclusivelyMapped(long seg, Allocator alloc) {
        Node r = root();
        return r != null && walks.exclusivelyMapped(r, height, seg, alloc);
    }

    /** Calls {@code action} with every mapped segment index in {@code [from, to)}. */
    public void forEachMapped(long from, long to, LongConsumer action) {
        Node r = root();
        if (r != null) {
            walks.forEachMapped(r, height, 0, from, to, action);
        }
    }

    /** The smallest mapped segment index {@code >= from}, or -1 if none. Skips missing subtrees. */
    public long nextMapped(long from) {
        Node r = root();
        return r == null ? -1 : walks.nextMapped(r, height, 0, Math.max(0, from));
    }

    /**
     * Data bytes this tree references alone ({@code [0]}: data count 1 and no shared node on the path) and shares
     * with other trees ({@code [1]}).
     */
    public long[] ownAndSharedSegments(Allocator alloc) {
        long[] r = new long[2];
        Node root = root();
        if (root != null) {
            walks.ownAndShared(root, false, alloc, r);
        }
        return r;
    }

    /** Drops this tree's references (vdisk deleted); returns the number of indirect blocks released. */
    public long release(Allocator alloc) {
        Node r = root();
        long released = r == null ? 0 : walks.release(r, alloc);
        dirtyRoot = null;
        dirtied(-dirtyNodes);
        rootWord0 = 0;
        rootWord1 = 0;
        return released;
    }

    /** Forgets the cached copy of a node whose segment this tree released. */
    void released(Node n) {
        if (n.vbn != 0) {
            cache.forget(n.vbn);
        }
    }

    /** What a walk over the tree sees (consistency check, rebuild). */
    public interface Visitor {
        /** An indirect block; return false to skip its subtree (already visited through another parent). */
        boolean node(Node n, int level, long firstSegment, int expectedCrc);

        /** A mapped data entry. */
        void data(long vbn, long segment, Node parent);
    }

    /** Visits every node and data entry, loading clean nodes through the cache (one path in memory at a time). */
    public void walk(Visitor v) {
        Node r = root();
        if (r != null) {
            walks.walk(r, height, 0, MapEntry.crc(rootWord1), v);
        }
    }
}
