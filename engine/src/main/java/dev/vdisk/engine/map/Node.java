package dev.vdisk.engine.map;

import dev.vdisk.engine.core.GuardedBy;

/**
 * One indirect block in memory: its entries as words (2 per entry, see {@code MapEntry}) and where it lives on disk.
 *
 * <p>A <em>clean</em> node is the verified copy of segment {@link #vbn()} (CRC {@code crc}); it is owned by the
 * {@link NodeCache}, which may evict it at any time, and it never changes while a reader holds the tree's map lock:
 * the only in-place change (a node with reference count 1 becoming dirty) needs that tree's write lock. Its children
 * are found through its entries and the cache.
 *
 * <p>A <em>dirty</em> node differs from its copy at {@link #vbn()} (or has none yet). It is out of the cache and
 * pinned by its tree: the root by {@link MapTree}, others by their dirty parent's {@code children}, until the next
 * consistency point writes it to a new segment. A dirty child always has a dirty parent. A node whose segment has a
 * reference count above 1 is shared (snapshot, clone), always clean, and copied before any change (path copy).
 */
public final class Node {
    final int level;

    @GuardedBy("Vdisk.mapLock")
    final long[] words;
    /**
     * Dirty children of a dirty node above level 1 (null elsewhere); {@code children[i] == null} means entry i tells
     * (a clean child through the cache, or a hole).
     */
    @GuardedBy("Vdisk.mapLock")
    Node[] children;

    @GuardedBy("Vdisk.mapLock")
    long vbn;
    /** CRC32C of the copy at {@link #vbn} (what the parent's entry says); meaningful while clean. */
    @GuardedBy("Vdisk.mapLock")
    int crc;

    @GuardedBy("Vdisk.mapLock")
    boolean dirty;
    /** The cache's second-chance bit: set on every hit, cleared by the clock hand. */
    volatile boolean referenced;

    Node(int level, int fanout) {
        this.level = level;
        this.words = new long[2 * fanout];
    }

    /** The dirty children array, created on first use. */
    Node[] children() {
        if (children == null) {
            children = new Node[words.length / 2];
        }
        return children;
    }

    /** The dirty child at {@code i}, or null (then entry i tells). */
    Node dirtyChild(int i) {
        return children == null ? null : children[i];
    }

    public int level() {
        return level;
    }

    public long vbn() {
        return vbn;
    }

    public boolean dirty() {
        return dirty;
    }

    public int entries() {
        return words.length / 2;
    }

    public long word0(int i) {
        return words[2 * i];
    }

    public long word1(int i) {
        return words[2 * i + 1];
    }
}
