package dev.vdisk.engine.split;

import dev.vdisk.engine.format.IndirectBlock;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.map.StoreMap;
import java.util.Arrays;

/**
 * What a clone's backing chain maps in one level-1 indirect block of the clone, resolved once for all the runs in it
 * ({@link #resolve}): per segment, whether the chain maps it anywhere (a candidate) and what a hole there is filled
 * with. Valid for the task's life: snapshots never change their maps, and the chain of a clone stays the same while it
 * is backed. The split task's thread only.
 */
final class ChainResolution {
    private final StoreMap map;
    private final int segmentSize;
    private final int shift;
    /** The first segment of the block {@link #candidate} and {@link #fill} hold, or -1. */
    private long blockFirst = -1;
    /** Per segment of the block: mapped somewhere in the chain ({@link Splitter#nextCandidate}'s definition). */
    private final boolean[] candidate;
    /** Per segment of the block: the word a hole there is filled with (data, ZERO), or HOLE for nothing to fill. */
    private final long[] fill;
    /** Scratch: one chain member's entries of the block. */
    private final long[] words;

    /** For the chain behind {@code map} (the clone's map). */
    ChainResolution(StoreMap map, int segmentSize) {
        this.map = map;
        this.segmentSize = segmentSize;
        this.shift = Integer.numberOfTrailingZeros(segmentSize);
        int fanout = IndirectBlock.fanout(segmentSize);
        this.candidate = new boolean[fanout];
        this.fill = new long[fanout];
        this.words = new long[fanout];
    }

    /** Segments per level-1 block. */
    int fanout() {
        return fill.length;
    }

    /** The end of the level-1 block holding {@code from}, within the clone (its size rounded up). */
    long leafEnd(long from) {
        return Math.min(map.segments(), (from | (fill.length - 1)) + 1);
    }

    /** Segment {@code b0 + i} of the resolved block is mapped somewhere in the chain. */
    boolean candidate(int i) {
        return candidate[i];
    }

    /** What a hole at segment {@code b0 + i} of the resolved block is filled with: data, ZERO, or HOLE (nothing). */
    long fill(int i) {
        return fill[i];
    }

    /** {@link #candidate} of segments {@code [off, off + n)} of the resolved block, copied. */
    boolean[] candidates(int off, int n) {
        return Arrays.copyOfRange(candidate, off, off + n);
    }

    /** {@link #fill} of segments {@code [off, off + n)} of the resolved block, copied. */
    long[] fills(int off, int n) {
        return Arrays.copyOfRange(fill, off, off + n);
    }

    /**
     * Resolves the chain for the level-1 block starting at segment {@code b0}, unless already done: one walk per chain
     * member for the whole block. Follows the read path's rules: the first entry that is not a hole wins; a member
     * shorter than the segment, or the end of the chain, means zeros (nothing to fill).
     */
    void resolve(long b0) {
        if (b0 == blockFirst) {
            return;
        }
        blockFirst = -1;
        int n = fill.length;
        Arrays.fill(candidate, false);
        Arrays.fill(fill, -1L); // unresolved (no word is negative)
        for (StoreMap x = map.backing(); x != null; x = x.backing()) {
            x.lock().readLock().lock();
            try {
                x.tree().lookupRun(b0, n, words);
            } finally {
                x.lock().readLock().unlock();
            }
            // segments of the block inside this member (a shorter member resolves the rest to zeros)
            long size = x.size();
            int inside = (int) Math.max(0, Math.min(n, ((size + segmentSize - 1) >>> shift) - b0));
            for (int i = 0; i < inside; i++) {
                long w = words[i];
                candidate[i] |= MapEntry.isMapped(w);
                if (fill[i] < 0 && !MapEntry.isHole(w)) {
                    fill[i] = w;
                }
            }
            for (int i = inside; i < n; i++) {
                if (fill[i] < 0) {
                    fill[i] = MapEntry.HOLE;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            long w = fill[i];
            fill[i] = !candidate[i] || w <= 0
                    ? MapEntry.HOLE
                    : MapEntry.isMapped(w) ? MapEntry.mapped(MapEntry.vbn(w)) : MapEntry.ZERO;
        }
        blockFirst = b0;
    }
}
