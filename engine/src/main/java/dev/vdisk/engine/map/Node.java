package dev.vdisk.engine.map;

import dev.vdisk.engine.core.GuardedBy;

/**
 * One indirect block in memory: its entries as words (2 per entry, see {@code MapEntry}), its children (levels
 * above 1) and where it lives on disk. A node is <em>dirty</em> when its entries differ from the copy at
 * {@link #vbn()} (or it has none yet); the next consistency point writes it to a new segment. A node whose segment
 * has a reference count above 1 is shared (snapshot, clone) and is copied before any change (path copy).
 */
public final class Node {
    final int level;

    @GuardedBy("Vdisk.mapLock")
    final long[] words;
    /** Children for levels above 1, null elsewhere; {@code children[i] != null} iff entry i points at a block. */
    @GuardedBy("Vdisk.mapLock")
    final Node[] children;

    @GuardedBy("Vdisk.mapLock")
    long vbn;

    @GuardedBy("Vdisk.mapLock")
    boolean dirty;

    Node(int level, int fanout) {
        this.level = level;
        this.words = new long[2 * fanout];
        this.children = level > 1 ? new Node[fanout] : null;
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

    public Node child(int i) {
        return children == null ? null : children[i];
    }
}
