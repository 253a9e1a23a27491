package dev.vdisk.engine.format;

import dev.vdisk.engine.error.UnsupportedFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The pool superblock: one of two 4 KiB slots at byte 0 and byte 4096 of the data space. Consistency point
 * {@code g} writes slot {@code g % 2}; open takes the valid slot with the highest generation, so a torn superblock
 * write falls back to the previous consistency point. Authoritative. Little-endian.
 *
 * <pre>
 * offset length field
 *      0      8 MAGIC "VDSKPOOL"
 *      8      4 format version (checked against MIN_VERSION..VERSION)
 *     12      4 block size (4096)
 *     16      4 segment size
 *     20      4 reserved (0)
 *     24      8 segment count of the data space
 *     32     16 pool UUID (msb, lsb)
 *     48      8 generation (consistency point number)
 *     56      8 catalog: VBN of the first catalog segment
 *     64      4 catalog: CRC32C of that segment
 *     68      4 catalog: payload length in bytes
 *     72      8 journal sequence number from which replay starts
 *     80      8 next vdisk id
 *     88   4004 zeros
 *   4092      4 CRC32C of bytes 0..4091
 * </pre>
 *
 * The pool UUID is the pool's identity: every journal file's header carries it, and {@code pool.properties} names it,
 * so that files of two pools (a copied directory, a shared journal) are never mixed. Both slots carry the same UUID.
 */
public record Superblock(
        int version,
        int blockSize,
        int segmentSize,
        long segmentCount,
        UUID uuid,
        long generation,
        long catalogVbn,
        int catalogCrc,
        int catalogLength,
        long replaySeq,
        long nextVdiskId) {

    public static final long MAGIC = 0x4c4f4f504b534456L; // "VDSKPOOL" little-endian
    /**
     * 2: every journal file starts with a header naming the pool ({@code JournalFileHeader}); a version-1 build would
     * take that header for a torn record and truncate the file, so it must refuse the pool. Version 1 pools existed
     * only in development and tests (never released): not read. 3: change indexes in their own segments (catalog
     * version 2, {@code ChangeIndexSegment}); a version-2 pool opens and its first consistency point moves them and
     * writes version 3 (an older build then refuses the pool).
     */
    public static final int VERSION = 3;

    public static final int MIN_VERSION = 2;
    public static final int SLOT_SIZE = 4096;
    public static final int SLOTS = 2;
    public static final int BLOCK_SIZE = 4096;

    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = MAGIC_OFFSET + 8;
    private static final int BLOCK_SIZE_OFFSET = VERSION_OFFSET + 4;
    private static final int SEGMENT_SIZE_OFFSET = BLOCK_SIZE_OFFSET + 4;
    private static final int RESERVED_OFFSET = SEGMENT_SIZE_OFFSET + 4;
    private static final int SEGMENT_COUNT_OFFSET = RESERVED_OFFSET + 4;
    private static final int UUID_OFFSET = SEGMENT_COUNT_OFFSET + 8;
    private static final int GENERATION_OFFSET = UUID_OFFSET + 16;
    private static final int CATALOG_VBN_OFFSET = GENERATION_OFFSET + 8;
    private static final int CATALOG_CRC_OFFSET = CATALOG_VBN_OFFSET + 8;
    private static final int CATALOG_LENGTH_OFFSET = CATALOG_CRC_OFFSET + 4;
    private static final int REPLAY_SEQ_OFFSET = CATALOG_LENGTH_OFFSET + 4;
    private static final int NEXT_ID_OFFSET = REPLAY_SEQ_OFFSET + 8;
    private static final int CRC_OFFSET = SLOT_SIZE - 4;

    /** Number of segments at the start of the data space that hold the two slots (never allocated). */
    public static long reservedSegments(int segmentSize) {
        return (SLOTS * (long) SLOT_SIZE + segmentSize - 1) / segmentSize;
    }

    public int slot() {
        return (int) (generation % SLOTS);
    }

    public Superblock next(long catalogVbn, int catalogCrc, int catalogLength, long replaySeq, long nextVdiskId) {
        return new Superblock(
                VERSION,
                blockSize,
                segmentSize,
                segmentCount,
                uuid,
                generation + 1,
                catalogVbn,
                catalogCrc,
                catalogLength,
                replaySeq,
                nextVdiskId);
    }

    /** Encodes into a fresh 4 KiB buffer, positioned at 0. */
    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocateDirect(SLOT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC_OFFSET, MAGIC);
        b.putInt(VERSION_OFFSET, version);
        b.putInt(BLOCK_SIZE_OFFSET, blockSize);
        b.putInt(SEGMENT_SIZE_OFFSET, segmentSize);
        b.putLong(SEGMENT_COUNT_OFFSET, segmentCount);
        b.putLong(UUID_OFFSET, uuid.getMostSignificantBits());
        b.putLong(UUID_OFFSET + 8, uuid.getLeastSignificantBits());
        b.putLong(GENERATION_OFFSET, generation);
        b.putLong(CATALOG_VBN_OFFSET, catalogVbn);
        b.putInt(CATALOG_CRC_OFFSET, catalogCrc);
        b.putInt(CATALOG_LENGTH_OFFSET, catalogLength);
        b.putLong(REPLAY_SEQ_OFFSET, replaySeq);
        b.putLong(NEXT_ID_OFFSET, nextVdiskId);
        b.putInt(CRC_OFFSET, crc(b));
        return b;
    }

    private static int crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate().position(0).limit(CRC_OFFSET));
        return (int) c.getValue();
    }

    /**
     * Decodes one slot. Returns null when the slot is not a superblock (bad magic or CRC: never written, or torn);
     * throws {@link UnsupportedFormatException} for a valid slot of an unsupported version.
     */
    public static Superblock decode(ByteBuffer slot) {
        ByteBuffer b = slot.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(MAGIC_OFFSET) != MAGIC || b.getInt(CRC_OFFSET) != crc(b)) {
            return null;
        }
        int version = b.getInt(VERSION_OFFSET);
        if (version < MIN_VERSION || version > VERSION) {
            throw new UnsupportedFormatException("pool superblock", version, MIN_VERSION, VERSION);
        }
        return new Superblock(
                version,
                b.getInt(BLOCK_SIZE_OFFSET),
                b.getInt(SEGMENT_SIZE_OFFSET),
                b.getLong(SEGMENT_COUNT_OFFSET),
                new UUID(b.getLong(UUID_OFFSET), b.getLong(UUID_OFFSET + 8)),
                b.getLong(GENERATION_OFFSET),
                b.getLong(CATALOG_VBN_OFFSET),
                b.getInt(CATALOG_CRC_OFFSET),
                b.getInt(CATALOG_LENGTH_OFFSET),
                b.getLong(REPLAY_SEQ_OFFSET),
                b.getLong(NEXT_ID_OFFSET));
    }
}
