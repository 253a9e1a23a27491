package dev.vdisk.engine;

import dev.vdisk.engine.format.ChangeIndexSegment;
import dev.vdisk.engine.split.SplitCursor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * The catalog extensions a vdisk keeps in memory as fields (change index, split cursor, origin family) and how they
 * are read from and written back into a catalog entry's extension map; other tags pass through unchanged.
 */
final class VdiskExtensions {
    /** Tag of the origin family (u64 little-endian): see {@code Vdisk.originFamily}. */
    static final int ORIGIN_TAG = 3;

    private VdiskExtensions() {}

    /** The origin family recorded in {@code ext}, 0 when none. */
    static long originFamily(Map<Integer, byte[]> ext) {
        byte[] origin = ext.get(ORIGIN_TAG);
        return origin == null
                ? 0
                : ByteBuffer.wrap(origin).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /**
     * {@code base} with the three fields' tags replaced by their current values (absent when empty); the change index
     * as the list of its segments ({@code changeRefs}, null when empty), never inline (format 2's tag is dropped).
     */
    static Map<Integer, byte[]> merge(
            Map<Integer, byte[]> base, byte[] changeRefs, SplitCursor split, long originFamily) {
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
        return ext;
    }
}
