package dev.vdisk.engine.map;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.format.IndirectBlock;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.io.DataSpace;
import java.nio.ByteBuffer;

/**
 * A consistency point's write-out of one tree's dirty nodes ({@link MapTree#checkpoint}): each to a newly allocated
 * segment, children before parents so that each parent carries its child's CRC, dropping the reference on the node's
 * previous segment; each written node becomes clean and joins the {@link NodeCache}, which may evict it from then on.
 * Used once, under the tree's map write lock.
 */
final class NodeWriter {
    private final DataSpace data;
    private final Allocator alloc;
    private final ByteBuffer buf;
    private final NodeCache cache;
    private final int segmentSize;
    private int written;

    NodeWriter(DataSpace data, Allocator alloc, ByteBuffer buf, NodeCache cache) {
        this.data = data;
        this.alloc = alloc;
        this.buf = buf;
        this.cache = cache;
        this.segmentSize = cache.segmentSize();
    }

    /** Nodes written so far. */
    int written() {
        return written;
    }

    /** Writes dirty {@code n} and its dirty subtree; returns {@code n}'s CRC. */
    int write(Node n) {
        written++;
        if (n.children != null) {
            for (int i = 0; i < n.children.length; i++) {
                Node c = n.children[i];
                if (c != null) { // a dirty child; a null one is clean (or a hole) and its entry is right
                    int crc = write(c);
                    n.words[2 * i] = MapEntry.mapped(c.vbn);
                    n.words[2 * i + 1] = MapEntry.word1(crc, MapEntry.birth(n.words[2 * i + 1]));
                }
            }
            n.children = null; // every child is clean now: found through the entries and the cache
        }
        long vbn = alloc.allocate(false, segmentSize);
        int crc = IndirectBlock.encode(n.words, buf);
        data.writeFully(buf.clear(), vbn * segmentSize);
        if (n.vbn != 0) {
            alloc.decref(n.vbn);
        }
        n.vbn = vbn;
        n.crc = crc;
        n.dirty = false;
        cache.put(n);
        return crc;
    }
}
