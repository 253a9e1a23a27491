package dev.vdisk.engine.journal;

/**
 * Byte layout of one journal record. Records are appended back to back to
 * {@code NNNNNNNNNNNNNNNNNNNN.log} files named after the sequence number of their first record, after the file's
 * {@link JournalFileHeader} (which names the pool). Authoritative for writes acknowledged since the replay position of
 * the newest consistency point. A record whose magic, CRC or sequence number is wrong is a torn tail (truncated) or
 * damage (refused), as {@link JournalRecovery} decides. Little-endian.
 *
 * <pre>
 * offset length field
 *      0      4 MAGIC "VJRN"
 *      4      4 CRC32C of bytes 8..(HEADER + payload length - 1)
 *      8      8 sequence number (consecutive, +1 per record)
 *     16      8 vdisk id
 *     24      8 byte offset in the vdisk
 *     32      4 length in bytes (payload length for WRITE, range length for DISCARD and POINTER)
 *     36      1 type (TYPE_WRITE, TYPE_DISCARD, TYPE_POINTER)
 *     37      3 zeros
 *     40      . payload: WRITE the bytes; POINTER (journal version 3) 24 bytes: u64 new segment, u64 the map entry's
 *               word 0 it replaces, u32 CRC32C of the whole new segment, u32 zero; DISCARD none
 * </pre>
 */
public final class JournalRecord {
    public static final int MAGIC = 0x4e524a56; // "VJRN"
    public static final int MAGIC_OFFSET = 0;
    public static final int CRC_OFFSET = MAGIC_OFFSET + 4;
    public static final int SEQ_OFFSET = CRC_OFFSET + 4;
    public static final int VDISK_OFFSET = SEQ_OFFSET + 8;
    public static final int OFFSET_OFFSET = VDISK_OFFSET + 8;
    public static final int LENGTH_OFFSET = OFFSET_OFFSET + 8;
    public static final int TYPE_OFFSET = LENGTH_OFFSET + 4;
    public static final int HEADER = TYPE_OFFSET + 4;

    public static final byte TYPE_WRITE = 1;
    public static final byte TYPE_DISCARD = 2;
    /** A whole segment written to a new place: only the pointer is journalled (write anywhere). */
    public static final byte TYPE_POINTER = 3;

    public static final int POINTER_PAYLOAD = 24;
    public static final int POINTER_VBN_OFFSET = 0;
    public static final int POINTER_OLD_OFFSET = 8;
    public static final int POINTER_CRC_OFFSET = 16;

    private JournalRecord() {}

    /** Whether {@code type} is one this version writes. */
    public static boolean knownType(byte type) {
        return type == TYPE_WRITE || type == TYPE_DISCARD || type == TYPE_POINTER;
    }

    public static int payloadLength(byte type, int length) {
        return type == TYPE_WRITE ? length : type == TYPE_POINTER ? POINTER_PAYLOAD : 0;
    }
}
