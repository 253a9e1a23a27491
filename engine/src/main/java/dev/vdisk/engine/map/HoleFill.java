package dev.vdisk.engine.map;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.format.MapEntry;
import java.util.Arrays;

/**
 * A SHARE split's install into a clone's {@link MapTree}: the snapshot's entries go into the clone's holes, a run of
 * one level-1 block at a time. Kept apart from the tree because only a split fills holes this way; the caller holds
 * the clone's map lock for writing, as every change of a {@link MapTree} needs.
 */
public final class HoleFill {
    private HoleFill() {}

    /**
     * For every {@code i < n} where {@code words[i]} is not a hole and segment {@code from + i} of {@code tree} still
     * is one, sets the entry to {@code words[i]} (data or {@link MapEntry#ZERO}), taking a reference on the data
     * segment ({@link Allocator#incref(long[], int)}, one hold of its lock for the run). Segments
     * {@code [from, from + n)} lie in one level-1 block: one walk, at most one path copy, none when nothing is
     * installed. On return {@code words[i]} is a hole where nothing was installed (the entry was no hole: a user
     * write got there first), so {@code words} tells exactly what changed. {@code vbns} is scratch of at least
     * {@code n}. Returns the entries installed; {@link MapTree#lastCreated()} tells how many nodes were created.
     */
    public static int fill(MapTree tree, long from, int n, long[] words, int birth, Allocator alloc, long[] vbns) {
        Node leaf = tree.leafOf(from, n);
        tree.noneCreated();
        if (tree.zeroRoot()) {
            Arrays.fill(words, 0, n, MapEntry.HOLE); // reads zeros everywhere: no hole to fill
            return 0;
        }
        int i0 = tree.index(from, 1);
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
        leaf = tree.leafForWrite(from, alloc);
        long word1 = MapEntry.word1(0, birth);
        for (int i = 0; i < n; i++) {
            if (!MapEntry.isHole(words[i])) {
                leaf.words[2 * (i0 + i)] = words[i];
                leaf.words[2 * (i0 + i) + 1] = word1;
            }
        }
        return k;
    }
}
