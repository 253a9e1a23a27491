package dev.vdisk.engine.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Encoding of an indirect block: exactly one segment holding {@code segmentSize / 16} {@link MapEntry map entries},
 * entry {@code i} at byte {@code 16 * i}. There is no header: the block's CRC32C (over the whole segment) is stored
 * in the parent's entry (or in the catalog for the root), which also tells the block's level. Authoritative;
 * never updated in place (each consistency point writes changed blocks to new segments).
 */
public final class IndirectBlock {
    private IndirectBlock() {}

    public static int fanout(int segmentSize) {
        return segmentSize / MapEntry.BYTES;
    }

    /** Writes {@code words} (2 per entry) into {@code seg} (position 0, capacity segmentSize) and returns its CRC. */
    public static int encode(long[] words, ByteBuffer seg) {
        ByteBuffer b = seg.duplicate().order(ByteOrder.LITTLE_ENDIAN).clear();
        for (int i = 0; i < words.length; i++) {
            b.putLong(i * 8, words[i]);
        }
        return crc(b);
    }

    public static int crc(ByteBuffer seg) {
        CRC32C c = new CRC32C();
        c.update(seg.duplicate().clear());
        return (int) c.getValue();
    }

    /** Decodes {@code seg} into {@code words}. The caller checks the CRC first. */
    public static void decode(ByteBuffer seg, long[] words) {
        ByteBuffer b = seg.duplicate().order(ByteOrder.LITTLE_ENDIAN).clear();
        for (int i = 0; i < words.length; i++) {
            words[i] = b.getLong(i * 8);
        }
    }
}
