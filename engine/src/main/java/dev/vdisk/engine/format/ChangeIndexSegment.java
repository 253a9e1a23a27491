package dev.vdisk.engine.format;

import dev.vdisk.engine.error.CorruptMetadataException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Encoding of change indexes outside the catalog (pool format 3): a vdisk's or snapshot's change set is cut into
 * <em>ranges</em> of {@link #pagesPerSegment} bitmap pages (a page: 4096 segment bits); each non-empty range is one
 * segment of its own, rewritten only when a page of that range changed. The catalog entry lists the ranges (extension
 * {@link #REFS_TAG}): {@code u32 count | { u64 range | u64 vbn | u32 whole-segment CRC32C }*}, ranges ascending. A
 * format-2 catalog kept the whole set inline as extension 1; such entries are read and moved out at the next point.
 *
 * <p>Each change-index segment, little-endian:
 * <pre>
 * offset length field
 *      0      4 MAGIC "VCIX"
 *      4      4 CRC32C of bytes 8..segmentSize-1
 *      8      8 owner: the catalog entry's id
 *     16      8 range number (pages range * P .. range * P + P - 1)
 *     24      4 page count n
 *     28      4 zero
 *     32      . n x { u64 page number | 64 x u64 words }, pages ascending
 * </pre>
 * The owner and range are checked on read, so a segment of another entry or range at a stale VBN is refused even if
 * its own CRC holds; the catalog's whole-segment CRC catches a stale segment of the same range.
 */
public final class ChangeIndexSegment {
    public static final int MAGIC = 0x58494356; // "VCIX"
    /** Catalog extension tag of an entry's list of change-index segments. */
    public static final int REFS_TAG = 4;

    public static final int HEADER = 32;
    public static final int PAGE_WORDS = 64;
    /** Bytes of one page in a segment: its number and its bitmap. */
    public static final int PAGE_BYTES = 8 + 8 * PAGE_WORDS;

    private static final int CRC_OFFSET = 4;
    private static final int OWNER_OFFSET = 8;
    private static final int RANGE_OFFSET = 16;
    private static final int COUNT_OFFSET = 24;
    private static final int REF_BYTES = 20;

    private ChangeIndexSegment() {}

    /** One change-index segment named by a catalog entry. */
    public record Ref(long range, long vbn, int crc) {}

    /** Bitmap pages one segment holds (a range); at least 7 at the smallest segment size. */
    public static int pagesPerSegment(int segmentSize) {
        return (segmentSize - HEADER) / PAGE_BYTES;
    }

    /**
     * Fills {@code seg} (segmentSize bytes) with the pages of one range ({@code pages}: n x (page, 64 words) as
     * encoded by {@code ChangeSet}) and returns the whole-segment CRC.
     */
    public static int encode(ByteBuffer seg, long owner, long range, int pageCount, long[] pages) {
        ByteBuffer b = seg.duplicate().order(ByteOrder.LITTLE_ENDIAN).clear();
        if (pageCount > pagesPerSegment(b.capacity()) || pages.length < pageCount * (1 + PAGE_WORDS)) {
            throw new IllegalArgumentException(pageCount + " pages do not fit in one change-index segment");
        }
        for (int i = 0; i < b.capacity(); i += 8) {
            b.putLong(i, 0);
        }
        b.putInt(0, MAGIC)
                .putLong(OWNER_OFFSET, owner)
                .putLong(RANGE_OFFSET, range)
                .putInt(COUNT_OFFSET, pageCount);
        int at = HEADER;
        for (int i = 0; i < pageCount * (1 + PAGE_WORDS); i++, at += 8) {
            b.putLong(at, pages[i]);
        }
        CRC32C c = new CRC32C();
        c.update(b.duplicate().position(OWNER_OFFSET));
        b.putInt(CRC_OFFSET, (int) c.getValue());
        return Catalog.crcOf(b);
    }

    /**
     * Verifies one segment read from {@code vbn} against the catalog's CRC, owner and range; returns its pages as
     * {@link #encode} took them.
     */
    public static long[] decode(ByteBuffer seg, long vbn, Ref ref, long owner, String ownerName) {
        ByteBuffer b = seg.duplicate().order(ByteOrder.LITTLE_ENDIAN).clear();
        if (Catalog.crcOf(b) != ref.crc()
                || b.getInt(0) != MAGIC
                || b.getLong(OWNER_OFFSET) != owner
                || b.getLong(RANGE_OFFSET) != ref.range()) {
            throw new CorruptMetadataException("change index segment of " + ownerName + " at VBN " + vbn
                    + " fails its checksum; the pool metadata is damaged, restore from a backup or run vdisk check");
        }
        int n = b.getInt(COUNT_OFFSET);
        if (n < 0 || n > pagesPerSegment(b.capacity())) {
            throw new CorruptMetadataException(
                    "change index segment of " + ownerName + " at VBN " + vbn + " has a bad page count " + n);
        }
        long[] out = new long[n * (1 + PAGE_WORDS)];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getLong(HEADER + 8 * i);
        }
        return out;
    }

    /** The catalog extension listing {@code refs}. */
    public static byte[] encodeRefs(List<Ref> refs) {
        ByteBuffer b = ByteBuffer.allocate(4 + REF_BYTES * refs.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(refs.size());
        for (Ref r : refs) {
            b.putLong(r.range()).putLong(r.vbn()).putInt(r.crc());
        }
        return b.array();
    }

    /** Decodes {@link #encodeRefs}; null gives an empty list. */
    public static List<Ref> decodeRefs(byte[] bytes, String ownerName) {
        if (bytes == null) {
            return List.of();
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int n = b.getInt();
            if (n < 0 || n > b.remaining() / REF_BYTES) {
                throw new CorruptMetadataException("change index list of " + ownerName + " counts " + n
                        + " segments in " + b.remaining() + " bytes; run vdisk check");
            }
            List<Ref> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(new Ref(b.getLong(), b.getLong(), b.getInt()));
            }
            return out;
        } catch (BufferUnderflowException e) {
            throw new CorruptMetadataException(
                    "change index list of " + ownerName + " is truncated; run vdisk check", e);
        }
    }
}
