package dev.vdisk.engine;

import dev.vdisk.engine.format.ChangeIndexSegment;
import dev.vdisk.engine.split.SplitCursor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * The catalog extensions a vdisk keeps in memory as fields (change index, split cursor, origin family, last pointer) and how they
 * are read from and written back into a catalog entry's extension map; other tags pass through unchanged.
 */
final class VdiskExtensions {
    /** Tag of the origin family (u64 little-endian): see {@code Vdisk.originFamily}. */
    static final int ORIGIN_TAG = 3;
    /** Tag of the last pointer record applied to the map (u64 little-endian): see {@code Vdisk.lastPointerSeq}. */
    static final int POINTER_TAG = 5;

    private VdiskExtensions() {}

    /** The origin family recorded in {@code ext}, 0 when none. */
    static long originFamily(Map<Integer, byte[]> ext) {
        byte[] origin = ext.get(ORIGIN_TAG);
        return origin == null
                ? 0
                : ByteBuffer.wrap(origin).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** The last pointer record's sequence number recorded in {@code ext}, -1 when none. */
    static long lastPointerSeq(Map<Integer, byte[]> ext) {
        byte[] b = ext.get(POINTER_TAG);
        return b == null
                ? -1
                : ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /**
     * {@code base} with the four fields' tags replaced by their current values (absent when empty); the change index
     * as the list of its segments ({@code changeRefs}, null when empty), never inline (format 2's tag is dropped).
     */
    static Map<Integer, byte[]> merge(
            Map<Integer, byte[]> base, byte[] changeRefs, SplitCursor split, long originFamily, long pointerSeq) {
        Map<Integer, byte[]> ext = new HashMap<>(base);
        ext.remove(ChangeSet.TAG);
        ext.remove(ChangeIndexSegment.REFS_TAG);
        if (changeRefs != null) {
            ext.put(ChangeIndexSegment.REFS_TAG, changeRefs);
        }
        ext.remove(SplitCursor.TAG);
        if (split != null) {
            ext.put(SplitCursor.TAG, split.encode());
        }
        ext.remove(ORIGIN_TAG);
        if (originFamily != 0) {
            ext.put(
                    ORIGIN_TAG,
                    ByteBuffer.allocate(8)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(originFamily)
                            .array());
        }
        ext.remove(POINTER_TAG);
        if (pointerSeq >= 0) {
            ext.put(
                    POINTER_TAG,
                    ByteBuffer.allocate(8)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(pointerSeq)
                            .array());
        }
        return ext;
    }
}
