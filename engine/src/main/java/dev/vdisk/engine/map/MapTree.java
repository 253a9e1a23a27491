package dev.vdisk.engine.map;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.format.IndirectBlock;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.io.DataSpace;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
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
 * <p>Not thread-safe: every method needs the owning vdisk's map lock (read for lookups, write for changes).
 */
public final class MapTree {
    private final int segmentSize;
    private final int fanout;
    private final int shift;
    private final TreeWalks walks;

    @GuardedBy("Vdisk.mapLock")
    private int height;

    @GuardedBy("Vdisk.mapLock")
    private Node root;

    @GuardedBy("Vdisk.mapLock")
    private long rootWord0;

    @GuardedBy("Vdisk.mapLock")
    private long rootWord1;
    /** Nodes created by the last {@link #set} or {@link #grow}, for the allocator's accounting. */
    @GuardedBy("Vdisk.mapLock")
    private int lastCreated;

    private MapTree(int segmentSize, int height) {
        this.segmentSize = segmentSize;
        this.fanout = IndirectBlock.fanout(segmentSize);
        this.shift = Integer.numberOfTrailingZeros(fanout);
        this.walks = new TreeWalks(fanout, shift);
        this.height = height;
    }

    public static MapTree empty(int segmentSize, int height) {
        return new MapTree(segmentSize, height);
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

    public Node root() {
        return root;
    }

    public int lastCreated() {
        return lastCreated;
    }

    private int index(long seg, int level) {
        return (int) ((seg >>> (shift * (level - 1))) & (fanout - 1));
    }

    /** The data entry's word0 for segment {@code seg} ({@link MapEntry#HOLE} where no block exists). */
    public long lookup(long seg) {
        Node n = root;
        if (n == null) {
            return rootWord0 == MapEntry.ZERO ? MapEntry.ZERO : MapEntry.HOLE;
        }
        for (int level = height; level > 1; level--) {
            n = n.children[index(seg, level)];
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
        if ((from >>> shift) != ((from + n - 1) >>> shift)) {
            throw new IllegalArgumentException("segments " + from + " +" + n + " span more than one indirect block");
        }
        Node leaf = root;
        for (int level = height; level > 1 && leaf != null; level--) {
            leaf = leaf.children[index(from, level)];
        }
        if (leaf == null) {
            long w = root == null && rootWord0 == MapEntry.ZERO ? MapEntry.ZERO : MapEntry.HOLE;
            Arrays.fill(out, 0, n, w);
            return;
        }
        int i0 = index(from, 1);
        for (int i = 0; i < n; i++) {
            out[i] = leaf.words[2 * (i0 + i)];
        }
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
     * A SHARE split's install: for every {@code i < n} where {@code words[i]} is not a hole and segment
     * {@code from + i} still is one, sets the entry to {@code words[i]} (data or {@link MapEntry#ZERO}), taking a
     * reference on the data segment ({@link Allocator#incref(long[], int)}, one hold of its lock for the run).
     * Segments {@code [from, from + n)} lie in one level-1 block: one walk, at most one path copy, none when nothing
     * is installed. On return {@code words[i]} is a hole where nothing was installed (the entry was no hole: a user
     * write got there first), so {@code words} tells exactly what changed. {@code vbns} is scratch of at least
     * {@code n}. Returns the entries installed; {@link #lastCreated()} tells how many nodes were created.
     */
    public int fillHoles(long from, int n, long[] words, int birth, Allocator alloc, long[] vbns) {
        if ((from >>> shift) != ((from + n - 1) >>> shift)) {
            throw new IllegalArgumentException("segments " + from + " +" + n + " span more than one indirect block");
        }
        lastCreated = 0;
        if (root == null && rootWord0 == MapEntry.ZERO) {
            Arrays.fill(words, 0, n, MapEntry.HOLE); // reads zeros everywhere: no hole to fill
            return 0;
        }
        Node leaf = root;
        for (int level = height; level > 1 && leaf != null; level--) {
            leaf = leaf.children[index(from, level)];
        }
        int i0 = index(from, 1);
        int k = 0;
        int data = 0;
        for (int i = 0; i < n; i++) {
            long w = words[i];
            if (MapEntry.isHole(w)) {
                continue;
            }
            if (leaf != null && !MapEntry.isHole(leaf.words[2 * (i0 + i)])) {
                words[i] = MapEntry.HOLE;
                continue;
            }
            k++;
            if (MapEntry.isMapped(w)) {
                vbns[data++] = MapEntry.vbn(w);
            }
        }
        if (k == 0) {
            return 0;
        }
        alloc.incref(vbns, data);
        leaf = leafForWrite(from, alloc);
        long word1 = MapEntry.word1(0, birth);
        for (int i = 0; i < n; i++) {
            if (!MapEntry.isHole(words[i])) {
                leaf.words[2 * (i0 + i)] = words[i];
                leaf.words[2 * (i0 + i) + 1] = word1;
            }
        }
        return k;
    }

    /**
     * The level-1 block holding {@code seg}, made writable: missing blocks created, shared ones copied on the way down
     * (path copy), the path marked dirty; {@link #lastCreated()} counts the nodes created.
     */
    private Node leafForWrite(long seg, Allocator alloc) {
        lastCreated = 0;
        if (root == null) {
            root = new Node(height, fanout);
            root.dirty = true;
            rootWord0 = 0;
            rootWord1 = 0;
            lastCreated++;
        } else {
            root = exclusive(root, alloc);
        }
        Node n = root;
        n.dirty = true;
        for (int level = height; level > 1; level--) {
            int i = index(seg, level);
            Node c = n.children[i];
            if (c == null) {
                c = new Node(level - 1, fanout);
                lastCreated++;
            } else {
                c = exclusive(c, alloc);
            }
            c.dirty = true;
            n.children[i] = c;
            n = c;
        }
        return n;
    }

    /** Returns {@code n} if this tree owns it alone, else a dirty private copy (path copy). */
    private Node exclusive(Node n, Allocator alloc) {
        if (n.vbn == 0 || alloc.refcount(n.vbn) <= 1) {
            return n;
        }
        Node copy = new Node(n.level, fanout);
        System.arraycopy(n.words, 0, copy.words, 0, n.words.length);
        for (int i = 0; i < fanout; i++) {
            long v = MapEntry.vbn(n.words[2 * i]);
            if (n.children != null) {
                copy.children[i] = n.children[i];
            }
            if (v != 0) {
                alloc.incref(v);
            }
        }
        alloc.decref(n.vbn);
        copy.dirty = true;
        lastCreated++;
        return copy;
    }

    /** Adds levels on top so that the tree addresses {@code newHeight} levels; returns the nodes created. */
    public int grow(int newHeight) {
        int created = 0;
        while (height < newHeight) {
            if (root != null) {
                Node r = new Node(height + 1, fanout);
                r.children[0] = root;
                r.words[0] = rootWord0;
                r.words[1] = rootWord1;
                r.dirty = true;
                root = r;
                created++;
            }
            height++;
        }
        return created;
    }

    /**
     * Writes every dirty node to a newly allocated segment, children before parents so that each parent carries its
     * child's CRC, and drops the reference on each node's previous segment. {@code buf} is one segment.
     */
    public int checkpoint(DataSpace data, Allocator alloc, ByteBuffer buf) {
        if (root == null || !root.dirty) {
            return 0;
        }
        NodeWriter w = new NodeWriter(data, alloc, buf, segmentSize);
        int crc = w.write(root);
        rootWord0 = MapEntry.mapped(root.vbn);
        rootWord1 = MapEntry.word1(crc, 0);
        return w.written();
    }

    /**
     * A new tree sharing this one's whole map by one more reference on the root's segment (O(1): nothing else is
     * touched). The root must be clean (a consistency point gave every node a segment): later changes to either tree
     * path-copy the shared nodes. Returns the number of nodes touched (1, or 0 for a tree without a root).
     */
    public MapTree share(Allocator alloc) {
        if (root != null && (root.dirty || root.vbn == 0)) {
            throw new IllegalStateException("share of a tree with a dirty root; take a consistency point first");
        }
        MapTree t = new MapTree(segmentSize, height);
        t.root = root;
        t.rootWord0 = rootWord0;
        t.rootWord1 = rootWord1;
        if (root != null) {
            alloc.incref(root.vbn);
        }
        return t;
    }

    /**
     * True if segment {@code seg} is mapped and this tree owns its data alone: the data segment's count is 1 and no
     * indirect block on the path is shared. After a snapshot shares the root, every data count is still 1 until a
     * path copy reaches it, so the data count alone does not tell (the no-write state lives on the path).
     */
    public boolean exclusivelyMapped(long seg, Allocator alloc) {
        Node n = root;
        if (n == null) {
            return false;
        }
        for (int level = height; ; level--) {
            if (n.vbn != 0 && alloc.refcount(n.vbn) > 1) {
                return false;
            }
            if (level == 1) {
                break;
            }
            n = n.children[index(seg, level)];
            if (n == null) {
                return false;
            }
        }
        long w0 = n.words[2 * index(seg, 1)];
        return MapEntry.isMapped(w0) && alloc.refcount(MapEntry.vbn(w0)) == 1;
    }

    /** Calls {@code action} with every mapped segment index in {@code [from, to)}. */
    public void forEachMapped(long from, long to, LongConsumer action) {
        if (root != null) {
            walks.forEachMapped(root, height, 0, from, to, action);
        }
    }

    /** The smallest mapped segment index {@code >= from}, or -1 if none. Skips missing subtrees. */
    public long nextMapped(long from) {
        return root == null ? -1 : walks.nextMapped(root, height, 0, Math.max(0, from));
    }

    /**
     * Data bytes this tree references alone ({@code [0]}: data count 1 and no shared node on the path) and shares
     * with other trees ({@code [1]}).
     */
    public long[] ownAndSharedSegments(Allocator alloc) {
        long[] r = new long[2];
        if (root != null) {
            walks.ownAndShared(root, false, alloc, r);
        }
        return r;
    }

    /** Drops this tree's references (vdisk deleted); returns the number of in-memory nodes released. */
    public long release(Allocator alloc) {
        long released = root == null ? 0 : walks.release(root, alloc);
        root = null;
        rootWord0 = 0;
        rootWord1 = 0;
        return released;
    }

    /** What a walk over the tree sees (consistency check, rebuild). */
    public interface Visitor {
        /** An indirect block; return false to skip its subtree (already visited through another parent). */
        boolean node(Node n, int level, long firstSegment, int expectedCrc);

        /** A mapped data entry. */
        void data(long vbn, long segment, Node parent);
    }

    public void walk(Visitor v) {
        if (root != null) {
            walks.walk(root, height, 0, MapEntry.crc(rootWord1), v);
        }
    }

    /**
     * Loads a tree from disk, checking every indirect block's CRC and every pointer's range, and adds one count per
     * reference to {@code counts}. {@code loaded} dedupes blocks shared between trees (each is read once).
     */
    public static MapTree load(
            DataSpace data,
            Allocator alloc,
            int segmentSize,
            String owner,
            long word0,
            long word1,
            int height,
            int[] counts,
            Map<Long, Node> loaded,
            ByteBuffer buf) {
        MapTree t = new MapTree(segmentSize, height);
        t.rootWord0 = word0;
        t.rootWord1 = word1;
        if (MapEntry.isMapped(word0)) {
            t.root = new TreeLoader(data, alloc, segmentSize, owner, counts, loaded, buf)
                    .root(MapEntry.vbn(word0), MapEntry.crc(word1), height);
        }
        return t;
    }

    /** Number of in-memory nodes (distinct objects reachable from the root). */
    public long nodeCount() {
        long[] c = {0};
        walk(new Visitor() {
            @Override
            public boolean node(Node n, int level, long firstSegment, int expectedCrc) {
                c[0]++;
                return true;
            }

            @Override
            public void data(long vbn, long segment, Node parent) {}
        });
        return c[0];
    }
}
