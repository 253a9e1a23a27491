package dev.vdisk.engine.map;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.error.BadBlockException;
import dev.vdisk.engine.format.IndirectBlock;
import dev.vdisk.engine.io.DataSpace;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pool's clean indirect blocks, loaded on demand and bounded in bytes: one per pool, shared by every tree (a
 * block shared by a snapshot and its vdisk is cached once). Every load checks the block's CRC32C against the one its
 * parent (or the catalog) holds; a hit checks that the cached copy is the one the parent names (same CRC and level),
 * so a stale copy of a reused segment is never returned.
 *
 * <p>Concurrency: lookups go through a {@link ConcurrentHashMap} without a lock and set the node's second-chance
 * bit; {@link #clockLock} guards the clock (the queue of admitted nodes) and its byte count, taken by whichever
 * thread admits a node. Eviction only drops the cache's reference: a reader that holds its tree's map lock keeps
 * using the node it got, which cannot change under it (see {@link Node}). Dirty nodes are never here: they are pinned
 * by their tree until the consistency point writes them; the cache only counts them ({@link #dirtyBytes}), pool-wide,
 * so that the destager can take a point early when a write burst passes {@code PoolOptions.mapDirtyLimitBytes}.
 */
public final class NodeCache {
    /** Heap bytes of a node beyond its words: object headers, the clock and map entries. */
    private static final int OVERHEAD = 160;

    private final DataSpace data;
    private final int segmentSize;
    private final int fanout;
    private final long capacityBytes;
    private final long nodeBytes;
    private final ConcurrentHashMap<Long, Node> nodes = new ConcurrentHashMap<>();
    private final ThreadLocal<ByteBuffer> buffers;
    private final ReentrantLock clockLock = new ReentrantLock();

    @GuardedBy("clockLock")
    private final ArrayDeque<Entry> clock = new ArrayDeque<>();
    /** Bytes of the nodes in {@link #clock}, stale entries included until the hand passes them. */
    @GuardedBy("clockLock")
    private long bytes;

    /** Dirty nodes of every tree: each tree adds its own count as nodes turn dirty and takes it back when written. */
    private final AtomicLong dirtyNodes = new AtomicLong();

    private final LongAdder hits = new LongAdder();
    private final LongAdder loads = new LongAdder();
    private final LongAdder evictions = new LongAdder();

    /** A node admitted under a VBN (its VBN changes when it is rewritten: the entry then is stale). */
    private record Entry(long vbn, Node node) {}

    public NodeCache(DataSpace data, int segmentSize, long capacityBytes) {
        this.data = data;
        this.segmentSize = segmentSize;
        this.fanout = IndirectBlock.fanout(segmentSize);
        this.capacityBytes = capacityBytes;
        this.nodeBytes = 16L * fanout + OVERHEAD;
        this.buffers = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(segmentSize));
    }

    public DataSpace data() {
        return data;
    }

    public int segmentSize() {
        return segmentSize;
    }

    int fanout() {
        return fanout;
    }

    /**
     * The clean block at {@code vbn} whose parent entry says CRC {@code crc} and whose level is {@code level}: from
     * the cache, or read and checked. Throws {@link BadBlockException} if the block fails its checksum.
     */
    Node get(long vbn, int crc, int level) {
        Node n = nodes.get(vbn);
        if (n != null && n.crc == crc && n.level == level) {
            n.referenced = true;
            hits.increment();
            return n;
        }
        return load(vbn, crc, level);
    }

    private Node load(long vbn, int crc, int level) {
        loads.increment();
        ByteBuffer buf = buffers.get();
        data.readFully(buf.clear(), vbn * segmentSize);
        int actual = IndirectBlock.crc(buf);
        if (actual != crc) {
            throw new BadBlockException(
                    vbn,
                    "indirect block at VBN " + vbn + " (level " + level
                            + ") fails its checksum (expected " + Integer.toHexString(crc) + ", found "
                            + Integer.toHexString(actual) + "); the pool metadata is damaged: restore the vdisk from a"
                            + " backup");
        }
        Node n = new Node(level, fanout);
        IndirectBlock.decode(buf, n.words);
        n.vbn = vbn;
        n.crc = crc;
        Node raced = nodes.get(vbn);
        if (raced != null && raced.crc == crc && raced.level == level) {
            return raced; // another reader loaded it meanwhile
        }
        admit(n);
        return n;
    }

    /** Admits a node the consistency point just wrote (clean, {@code crc} set): the written set stays warm. */
    void put(Node n) {
        admit(n);
    }

    private void admit(Node n) {
        nodes.put(n.vbn, n);
        clockLock.lock();
        try {
            clock.addLast(new Entry(n.vbn, n));
            bytes += nodeBytes;
            while (bytes > capacityBytes && !clock.isEmpty()) {
                Entry e = clock.pollFirst();
                if (nodes.get(e.vbn) == e.node && e.node.referenced) {
                    e.node.referenced = false;
                    clock.addLast(e); // second chance
                    continue;
                }
                if (nodes.remove(e.vbn, e.node)) {
                    evictions.increment();
                }
                bytes -= nodeBytes;
            }
        } finally {
            clockLock.unlock();
        }
    }

    /** Forgets any copy of {@code vbn}: the node becomes dirty in place, or its segment was released. */
    void forget(long vbn) {
        nodes.remove(vbn);
    }

    /** A tree's dirty node count changed by {@code delta} (any thread holding that tree's map lock). */
    void dirtied(long delta) {
        dirtyNodes.addAndGet(delta);
    }

    /** Heap held by dirty nodes of all trees (pinned until the next consistency point writes them). */
    public long dirtyBytes() {
        return dirtyNodes.get() * nodeBytes;
    }

    /** Numbers for metrics and tests. */
    public Stats stats() {
        clockLock.lock();
        try {
            return new Stats(
                    capacityBytes, bytes, nodes.size(), hits.sum(), loads.sum(), evictions.sum(), dirtyBytes());
        } finally {
            clockLock.unlock();
        }
    }

    /**
     * @param capacityBytes the bound
     * @param bytes heap held by cached nodes (stale clock entries included)
     * @param nodes nodes cached
     * @param hits lookups served from the cache
     * @param loads blocks read from disk (and CRC-checked)
     * @param evictions nodes dropped to stay within the bound
     * @param dirtyBytes heap of the dirty nodes, outside the bound (see {@link #dirtyBytes()})
     */
    public record Stats(
            long capacityBytes, long bytes, long nodes, long hits, long loads, long evictions, long dirtyBytes) {}
}
