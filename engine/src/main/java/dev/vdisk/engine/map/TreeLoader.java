package dev.vdisk.engine.map;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.format.IndirectBlock;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.io.DataSpace;
import java.nio.ByteBuffer;
import java.util.Map;

/** Reads a tree from disk at pool open ({@link MapTree#load}), checking every block and counting references. */
final class TreeLoader {
    private final DataSpace data;
    private final Allocator alloc;
    private final int segmentSize;
    private final int fanout;
    private final int shift;
    private final String owner;
    private final int[] counts;
    private final Map<Long, Node> loaded;
    private final ByteBuffer buf;

    TreeLoader(
            DataSpace data,
            Allocator alloc,
            int segmentSize,
            String owner,
            int[] counts,
            Map<Long, Node> loaded,
            ByteBuffer buf) {
        this.data = data;
        this.alloc = alloc;
        this.segmentSize = segmentSize;
        this.fanout = IndirectBlock.fanout(segmentSize);
        this.shift = Integer.numberOfTrailingZeros(fanout);
        this.owner = owner;
        this.counts = counts;
        this.loaded = loaded;
        this.buf = buf;
    }

    /** The root block at {@code vbn} with its subtree. */
    Node root(long vbn, int crc, int height) {
        return loadNode(vbn, crc, height, 0);
    }

    private Node loadNode(long vbn, int crc, int level, long base) {
        String where =
                "indirect block at VBN " + vbn + " (" + owner + ", level " + level + ", segments from " + base + ")";
        if (!alloc.isDataVbn(vbn)) {
            throw new CorruptMetadataException(where + " is a dangling pointer outside the data area; run vdisk check");
        }
        counts[(int) vbn]++;
        Node n = loaded.get(vbn);
        if (n != null) {
            if (n.level != level) {
                throw new CorruptMetadataException(where + " is also referenced at level " + n.level);
            }
            return n;
        }
        data.readFully(buf.clear(), vbn * segmentSize);
        int actual = IndirectBlock.crc(buf);
        if (actual != crc) {
            throw new CorruptMetadataException(where + " fails its checksum (expected " + Integer.toHexString(crc)
                    + ", found " + Integer.toHexString(actual) + "); the pool metadata is damaged: restore the"
                    + " vdisk from a backup");
        }
        n = new Node(level, fanout);
        IndirectBlock.decode(buf, n.words);
        n.vbn = vbn;
        loaded.put(vbn, n);
        long span = 1L << (shift * (level - 1));
        for (int i = 0; i < fanout; i++) {
            long w0 = n.words[2 * i];
            if (!MapEntry.isMapped(w0)) {
                continue;
            }
            long v = MapEntry.vbn(w0);
            if (level > 1) {
                n.children[i] = loadNode(v, MapEntry.crc(n.words[2 * i + 1]), level - 1, base + i * span);
            } else {
                if (!alloc.isDataVbn(v)) {
                    throw new CorruptMetadataException(where + " entry " + i + " points at VBN " + v
                            + " outside the data area (dangling); run vdisk check");
                }
                counts[(int) v]++;
            }
        }
        return n;
    }
}
