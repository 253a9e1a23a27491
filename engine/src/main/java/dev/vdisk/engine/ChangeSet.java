package dev.vdisk.engine;

import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.format.CatalogEntry;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A set of segment indices as a paged bitmap: pages of {@link #PAGE_BITS} bits indexed by the
 * high bits of the segment index; an all-zero page is not stored. Used for a vdisk's current change set (segments
 * written or discarded since its newest snapshot) and for a snapshot's frozen change index (segments changed while
 * it was the youngest snapshot). Persisted in change-index segments ({@code ChangeIndexSegment}), a range of pages
 * per segment: it remembers which pages changed since the last consistency point wrote them ({@link #takeDirtyRanges}),
 * so that a point rewrites only those ranges.
 *
 * <p>Inline encoding of pool format 2 (catalog extension {@link #TAG}, read only): {@code u32 version (1) | u32 page
 * count | { u64 page number | 64 x u64 words }*}, pages ascending.
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
    /** Pages changed (bits added, or emptied) since a consistency point last took them. */
    private final TreeSet<Long> dirtyPages = new TreeSet<>();

    synchronized void mark(long seg) {
        long page = seg / PAGE_BITS;
        long[] p = pages.computeIfAbsent(page, k -> new long[PAGE_WORDS]);
        int w = (int) (seg % PAGE_BITS) >>> 6;
        long bit = 1L << (seg & 63);
        if ((p[w] & bit) == 0) {
            p[w] |= bit;
            dirtyPages.add(page);
        }
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
                    if ((v[i] & ~mine[i]) != 0) {
                        dirtyPages.add(k);
                    }
                    mine[i] |= v[i];
                }
            });
        }
    }

    synchronized void clear() {
        dirtyPages.addAll(pages.keySet());
        pages.clear();
    }

    /** True if a page changed since the last {@link #takeDirtyRanges} (most entries at most points: none). */
    synchronized boolean hasDirty() {
        return !dirtyPages.isEmpty();
    }

    /**
     * The ranges ({@code pagesPerRange} pages each) holding a page changed since the last call, ascending; they are
     * clean afterwards. Called by consistency points with the destager quiesced.
     */
    synchronized TreeSet<Long> takeDirtyRanges(int pagesPerRange) {
        TreeSet<Long> ranges = new TreeSet<>();
        for (long page : dirtyPages) {
            ranges.add(page / pagesPerRange);
        }
        dirtyPages.clear();
        return ranges;
    }

    /** Makes {@code ranges} dirty again (a point that took them failed before it made them durable). */
    synchronized void redirty(Collection<Long> ranges, int pagesPerRange) {
        for (long r : ranges) {
            dirtyPages.add(r * pagesPerRange); // a page of the range, present or not: the range is rewritten
        }
    }

    /** Every page is dirty: a set read from the catalog of an older format is moved to its segments. */
    synchronized void markAllDirty() {
        dirtyPages.addAll(pages.keySet());
    }

    /** Pages of {@code range} as {@code n x (page number, 64 words)}; empty when the range has none. */
    synchronized long[] rangePages(long range, int pagesPerRange) {
        var sub = pages.subMap(range * pagesPerRange, (range + 1) * pagesPerRange);
        long[] out = new long[sub.size() * (1 + PAGE_WORDS)];
        int at = 0;
        for (Map.Entry<Long, long[]> e : sub.entrySet()) {
            out[at++] = e.getKey();
            System.arraycopy(e.getValue(), 0, out, at, PAGE_WORDS);
            at += PAGE_WORDS;
        }
        return out;
    }

    /** Adds pages read from a change-index segment ({@link #rangePages}'s layout); they are clean. */
    synchronized void loadPages(long[] encoded) {
        for (int at = 0; at < encoded.length; at += 1 + PAGE_WORDS) {
            pages.put(encoded[at], Arrays.copyOfRange(encoded, at + 1, at + 1 + PAGE_WORDS));
        }
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

    /** The inline encoding of pool format 2 (tests write old catalogs with it). */
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

    /**
     * The set a format-2 catalog entry kept inline (extension {@link #TAG}), all dirty so that the next point moves it
     * to segments; empty for a format-3 entry, whose pages the loader reads from its segments.
     */
    static ChangeSet decodeInline(CatalogEntry e) {
        ChangeSet s = decode(e.extensions().get(TAG), e.name());
        s.markAllDirty();
        return s;
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
