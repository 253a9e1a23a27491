package dev.vdisk.engine.map;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.error.BadBlockException;
import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.format.MapEntry;

/**
 * Pool open's walk over every tree: checks every indirect block's CRC (through the {@link NodeCache}, which keeps
 * what fits) and every pointer's range, and adds one reference per pointer to the {@link Allocator}
 * ({@link Allocator#countAtOpen}). Streaming: one path of nodes is held at a time, so opening a pool does not need
 * its maps on the heap. A block reached a second time (shared by a snapshot or clone) is counted, not walked again.
 * Single-threaded, before the pool serves I/O.
 */
public final class ReferenceScan {
    private final NodeCache cache;
    private final Allocator alloc;
    private final int shift;
    private long nodes;

    public ReferenceScan(NodeCache cache, Allocator alloc) {
        this.cache = cache;
        this.alloc = alloc;
        this.shift = Integer.numberOfTrailingZeros(cache.fanout());
    }

    /** Distinct indirect blocks found so far. */
    public long nodes() {
        return nodes;
    }

    /** Counts the references of the tree whose root entry is {@code word0}/{@code word1}, named {@code owner}. */
    public void scan(String owner, long word0, long word1, int height) {
        if (MapEntry.isMapped(word0)) {
            node(owner, MapEntry.vbn(word0), MapEntry.crc(word1), height, 0);
        }
    }

    private void node(String owner, long vbn, int crc, int level, long base) {
        String where =
                "indirect block at VBN " + vbn + " (" + owner + ", level " + level + ", segments from " + base + ")";
        if (!alloc.isDataVbn(vbn)) {
            throw new CorruptMetadataException(where + " is a dangling pointer outside the data area; run vdisk check");
        }
        if (alloc.countAtOpen(vbn) > 0) {
            return; // shared: its subtree was counted through its first parent
        }
        nodes++;
        Node n;
        try {
            n = cache.get(vbn, crc, level);
        } catch (BadBlockException e) {
            throw new BadBlockException(vbn, where + ": " + e.getMessage());
        }
        long span = 1L << (shift * (level - 1));
        for (int i = 0; i < n.entries(); i++) {
            long w0 = n.words[2 * i];
            if (!MapEntry.isMapped(w0)) {
                continue;
            }
            long v = MapEntry.vbn(w0);
            if (level > 1) {
                node(owner, v, MapEntry.crc(n.words[2 * i + 1]), level - 1, base + i * span);
            } else {
                if (!alloc.isDataVbn(v)) {
                    throw new CorruptMetadataException(where + " entry " + i + " points at VBN " + v
                            + " outside the data area (dangling); run vdisk check");
                }
                alloc.countAtOpen(v);
            }
        }
    }
}
