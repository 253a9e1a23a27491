package dev.vdisk.engine;

import dev.vdisk.engine.error.CorruptMetadataException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of segment indices as a paged bitmap: pages of {@link #PAGE_BITS} bits indexed by the
 * high bits of the segment index; an all-zero page is not stored. Used for a vdisk's current change set (segments
 * written or discarded since its newest snapshot) and for a snapshot's frozen change index (segments changed while
 * it was the youngest snapshot). Persisted as a catalog extension ({@link #TAG}) at every consistency point.
 *
 * <p>Encoding (little-endian): {@code u32 version (1) | u32 page count | { u64 page number | 64 x u64 words }*},
 * pages ascending.
 *
 * <p>Thread-safe (every method synchronises on the set): the destager marks while consistency points encode.
 */
final class ChangeSet {
    /** Catalog extension tag of a vdisk's current change set or a snapshot's change index. */
    static final int TAG = 1;

    static final int PAGE_WORDS = 64;
    static final int PAGE_BITS = PAGE_WORDS * 64;
    private static final int VERSION = 1;

    private final TreeMap<Long, long[]> pages = new TreeMap<>();

    synchronized void mark(long seg) {
        pages.computeIfAbsent(seg / PAGE_BITS, k -> new long[PAGE_WORDS])[(int) (seg % PAGE_BITS) >>> 6] |=
                1L << (seg & 63);
    }

    synchronized boolean has(long seg) {
        long[] p = pages.get(seg / PAGE_BITS);
        return p != null && (p[(int) (seg % PAGE_BITS) >>> 6] & (1L << (seg & 63))) != 0;
    }

    /** Adds every member of {@code other} (merge of a deleted snapshot's index into its predecessor's). */
    void orWith(ChangeSet other) {
        TreeMap<Long, long[]> copy;
        synchronized (other) {
            copy = new TreeMap<>();
            other.pages.forEach((k, v) -> copy.put(k, v.clone()));
        }
        synchronized (this) {
            copy.forEach((k, v) -> {
                long[] mine = pages.computeIfAbsent(k, x -> new long[PAGE_WORDS]);
                for (int i = 0; i < PAGE_WORDS; i++) {
                    mine[i] |= v[i];
                }
            });
        }
    }

    synchronized void clear() {
        pages.clear();
    }

    synchronized boolean isEmpty() {
        return pages.isEmpty();
    }

    synchronized long cardinality() {
        long n = 0;
        for (long[] p : pages.values()) {
            for (long w : p) {
                n += Long.bitCount(w);
            }
        }
        return n;
    }

    synchronized byte[] encode() {
        ByteBuffer b =
                ByteBuffer.allocate(8 + pages.size() * (8 + 8 * PAGE_WORDS)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(VERSION).putInt(pages.size());
        for (Map.Entry<Long, long[]> e : pages.entrySet()) {
            b.putLong(e.getKey());
            for (long w : e.getValue()) {
                b.putLong(w);
            }
        }
        return b.array();
    }

    static ChangeSet decode(byte[] bytes, String owner) {
        ChangeSet s = new ChangeSet();
        if (bytes == null) {
            return s;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int version = b.getInt();
            if (version != VERSION) {
                throw new CorruptMetadataException(
                        "change index of " + owner + " has version " + version + ", supported " + VERSION);
            }
            int n = b.getInt();
            for (int i = 0; i < n; i++) {
                long key = b.getLong();
                long[] p = new long[PAGE_WORDS];
                for (int w = 0; w < PAGE_WORDS; w++) {
                    p[w] = b.getLong();
                }
                s.pages.put(key, p);
            }
            return s;
        } catch (BufferUnderflowException e) {
            throw new CorruptMetadataException("change index of " + owner + " is truncated; run vdisk check", e);
        }
    }
}
