package dev.vdisk.engine.journal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The header at the start of every journal file: which pool the file belongs to, so that a journal directory shared by
 * mistake (a copied pool directory whose {@code pool.properties} names the original's journal, a {@code --journal}
 * given twice) is refused instead of replayed into the wrong data space. Written once when the file is created, before
 * its first record; made durable with that record (a file whose header is torn holds no durable record). Records
 * follow it back to back ({@link JournalRecord}). Authoritative. Little-endian.
 *
 * <pre>
 * offset length field
 *      0      4 MAGIC "VJFH"
 *      4      4 format version (checked against MIN_VERSION..VERSION)
 *      8     16 pool UUID (msb, lsb), the superblock's
 *     24      8 sequence number of the file's first record (also its name)
 *     32     12 zeros
 *     44      4 CRC32C of bytes 0..43
 *     48      . records
 * </pre>
 *
 * Version 1 was the journal before headers (records from byte 0), with superblock version 1; no such pool was ever
 * released, so it is not read (the superblock version refuses those pools first).
 */
public record JournalFileHeader(int version, UUID pool, long firstSeq) {
    public static final int MAGIC = 0x484a4656; // "VJFH" little-endian
    public static final int VERSION = 3; // 3: pointer records
    public static final int MIN_VERSION = 2;

    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = MAGIC_OFFSET + 4;
    private static final int UUID_OFFSET = VERSION_OFFSET + 4;
    private static final int FIRST_SEQ_OFFSET = UUID_OFFSET + 16;
    private static final int CRC_OFFSET = FIRST_SEQ_OFFSET + 8 + 12;
    /** Bytes before the first record. */
    public static final int LENGTH = CRC_OFFSET + 4;

    public static JournalFileHeader of(UUID pool, long firstSeq) {
        return new JournalFileHeader(VERSION, pool, firstSeq);
    }

    /** Encodes into a fresh buffer of {@link #LENGTH} bytes, positioned at 0. */
    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC_OFFSET, MAGIC);
        b.putInt(VERSION_OFFSET, version);
        b.putLong(UUID_OFFSET, pool.getMostSignificantBits());
        b.putLong(UUID_OFFSET + 8, pool.getLeastSignificantBits());
        b.putLong(FIRST_SEQ_OFFSET, firstSeq);
        b.putInt(CRC_OFFSET, crc(b));
        return b;
    }

    private static int crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate().position(0).limit(CRC_OFFSET));
        return (int) c.getValue();
    }

    /**
     * Decodes the first {@link #LENGTH} bytes of {@code b} (from position 0); null when they are not a header: too
     * short, wrong magic or CRC (a file torn at its creation, or not a journal file of this format).
     */
    public static JournalFileHeader decode(ByteBuffer b) {
        ByteBuffer d = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (d.limit() < LENGTH || d.getInt(MAGIC_OFFSET) != MAGIC || d.getInt(CRC_OFFSET) != crc(d)) {
            return null;
        }
        return new JournalFileHeader(
                d.getInt(VERSION_OFFSET),
                new UUID(d.getLong(UUID_OFFSET), d.getLong(UUID_OFFSET + 8)),
                d.getLong(FIRST_SEQ_OFFSET));
    }
}
