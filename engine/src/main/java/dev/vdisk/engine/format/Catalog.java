package dev.vdisk.engine.format;

import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.error.UnsupportedFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Encoding of the catalog: the list of {@link CatalogEntry}, written at every consistency point into freshly
 * allocated segments chained together. Authoritative. Little-endian.
 *
 * <p>Each catalog segment:
 * <pre>
 * offset length field
 *      0      4 SEGMENT_MAGIC "VCAT"
 *      4      4 CRC32C of bytes 8..segmentSize-1 of this segment
 *      8      8 VBN of the next catalog segment, 0 for the last
 *     16      4 CRC32C of the next segment (its bytes 0..segmentSize-1)
 *     20      4 payload bytes in this segment
 *     24      . payload
 * </pre>
 * The superblock holds the first segment's VBN, its whole-segment CRC and the total payload length, so a stale
 * segment at that VBN is detected even if its own CRC is valid.
 *
 * <p>Payload: {@code u32 format version | u32 entry count | entries}; each entry:
 * <pre>
 * u64 id | u8 kind | u8 flags (bit 0 hidden) | u16 name length | name (UTF-8) | u64 size | u64 root word0
 * | u64 root word1 | u8 height | u64 owner id | u64 backing id | u64 epoch | u64 created millis
 * | u16 extension count | { u16 tag | u32 length | bytes }*
 * </pre>
 */
public final class Catalog {
    public static final int SEGMENT_MAGIC = 0x54414356; // "VCAT"
    /** 2: change indexes in their own segments (extension 4); 1 kept them inline (extension 1), still read. */
    public static final int VERSION = 2;

    public static final int MIN_VERSION = 1;
    public static final int HEADER = 24;
    /** Bytes of an entry with an empty name and no extensions. */
    static final int MIN_ENTRY_BYTES = 8 + 1 + 1 + 2 + 8 * 3 + 1 + 8 * 4 + 2;

    private static final int MAGIC_OFFSET = 0;
    private static final int CRC_OFFSET = MAGIC_OFFSET + 4;
    private static final int NEXT_VBN_OFFSET = CRC_OFFSET + 4;
    private static final int NEXT_CRC_OFFSET = NEXT_VBN_OFFSET + 8;
    private static final int LENGTH_OFFSET = NEXT_CRC_OFFSET + 4;

    private Catalog() {}

    public static byte[] encodePayload(List<CatalogEntry> entries) {
        int size = 8;
        for (CatalogEntry e : entries) {
            size += 8 + 1 + 1 + 2 + e.name().getBytes(StandardCharsets.UTF_8).length + 8 * 3 + 1 + 8 * 4 + 2;
            for (byte[] v : e.extensions().values()) {
                size += 6 + v.length;
            }
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(VERSION).putInt(entries.size());
        for (CatalogEntry e : entries) {
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            b.putLong(e.id())
                    .put((byte) e.kind().code)
                    .put((byte) (e.hidden() ? 1 : 0))
                    .putShort((short) name.length)
                    .put(name)
                    .putLong(e.size())
                    .putLong(e.rootWord0())
                    .putLong(e.rootWord1())
                    .put((byte) e.height())
                    .putLong(e.ownerId())
                    .putLong(e.backingId())
                    .putLong(e.epoch())
                    .putLong(e.createdMillis())
                    .putShort((short) e.extensions().size());
            for (Map.Entry<Integer, byte[]> x : e.extensions().entrySet()) {
                b.putShort((short) (int) x.getKey()).putInt(x.getValue().length).put(x.getValue());
            }
        }
        return b.array();
    }

    public static List<CatalogEntry> decodePayload(byte[] payload) {
        try {
            ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
            int version = b.getInt();
            if (version < MIN_VERSION || version > VERSION) {
                throw new UnsupportedFormatException("catalog", version, MIN_VERSION, VERSION);
            }
            int count = b.getInt();
            if (count < 0 || count > b.remaining() / MIN_ENTRY_BYTES) {
                throw new CorruptMetadataException("catalog entry count " + count + " is impossible (its "
                        + b.remaining() + " bytes hold at most " + b.remaining() / MIN_ENTRY_BYTES
                        + " entries); the pool metadata is damaged, restore it from a backup");
            }
            List<CatalogEntry> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long id = b.getLong();
                Kind kind = Kind.of(b.get());
                boolean hidden = (b.get() & 1) != 0;
                byte[] name = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(name);
                long size = b.getLong();
                long w0 = b.getLong();
                long w1 = b.getLong();
                int height = b.get();
                long owner = b.getLong();
                long backing = b.getLong();
                long epoch = b.getLong();
                long created = b.getLong();
                int nx = Short.toUnsignedInt(b.getShort());
                Map<Integer, byte[]> ext = new LinkedHashMap<>();
                for (int j = 0; j < nx; j++) {
                    int tag = Short.toUnsignedInt(b.getShort());
                    int length = b.getInt();
                    if (length < 0 || length > b.remaining()) {
                        throw new CorruptMetadataException("catalog entry " + id + " extension " + tag + " length "
                                + length + " is impossible (" + b.remaining() + " bytes are left); the pool"
                                + " metadata is damaged, restore it from a backup");
                    }
                    byte[] v = new byte[length];
                    b.get(v);
                    ext.put(tag, v);
                }
                if (kind == null) {
                    throw new CorruptMetadataException("catalog entry " + id + " has an unknown kind; run vdisk check");
                }
                out.add(new CatalogEntry(
                        id,
                        new String(name, StandardCharsets.UTF_8),
                        kind,
                        hidden,
                        size,
                        w0,
                        w1,
                        height,
                        owner,
                        backing,
                        epoch,
                        created,
                        ext));
            }
            return out;
        } catch (RuntimeException e) {
            if (e instanceof EngineException ee) {
                throw ee;
            }
            throw new CorruptMetadataException("catalog payload is malformed (" + e + "); run vdisk check", e);
        }
    }

    /** Payload bytes that fit in one catalog segment. */
    public static int payloadPerSegment(int segmentSize) {
        return segmentSize - HEADER;
    }

    public static int segmentsFor(int payloadLength, int segmentSize) {
        return Math.max(1, (payloadLength + payloadPerSegment(segmentSize) - 1) / payloadPerSegment(segmentSize));
    }

    /**
     * Fills {@code seg} (segmentSize bytes, position 0) with one catalog segment and returns its whole-segment CRC.
     */
    public static int encodeSegment(ByteBuffer seg, byte[] payload, int from, int length, long nextVbn, int nextCrc) {
        ByteBuffer b = seg.duplicate().order(ByteOrder.LITTLE_ENDIAN).clear();
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(MAGIC_OFFSET, SEGMENT_MAGIC);
        b.putLong(NEXT_VBN_OFFSET, nextVbn);
        b.putInt(NEXT_CRC_OFFSET, nextCrc);
        b.putInt(LENGTH_OFFSET, length);
        b.put(HEADER, payload, from, length);
        CRC32C c = new CRC32C();
        c.update(b.duplicate().position(NEXT_VBN_OFFSET));
        b.putInt(CRC_OFFSET, (int) c.getValue());
        return crcOf(b);
    }

    public static int crcOf(ByteBuffer seg) {
        CRC32C c = new CRC32C();
        c.update(seg.duplicate().clear());
        return (int) c.getValue();
    }

    /** One decoded catalog segment. */
    public record Segment(long nextVbn, int nextCrc, int length) {}

    /** Verifies and decodes one catalog segment's header; copies its payload into {@code out} at {@code at}. */
    public static Segment decodeSegment(ByteBuffer seg, long vbn, int expectedCrc, byte[] out, int at) {
        ByteBuffer b = seg.duplicate().order(ByteOrder.LITTLE_ENDIAN).clear();
        if (crcOf(b) != expectedCrc || b.getInt(MAGIC_OFFSET) != SEGMENT_MAGIC) {
            throw new CorruptMetadataException("catalog segment at VBN " + vbn
                    + " fails its checksum; the pool metadata is damaged, restore from a backup or run vdisk check");
        }
        int length = b.getInt(LENGTH_OFFSET);
        if (length < 0 || length > payloadPerSegment(b.capacity()) || at + length > out.length) {
            throw new CorruptMetadataException("catalog segment at VBN " + vbn + " has a bad length " + length);
        }
        b.get(HEADER, out, at, length);
        return new Segment(b.getLong(NEXT_VBN_OFFSET), b.getInt(NEXT_CRC_OFFSET), length);
    }
}
