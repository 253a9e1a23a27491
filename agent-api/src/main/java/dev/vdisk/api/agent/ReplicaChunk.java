package dev.vdisk.api.agent;

import java.nio.ByteBuffer;

/**
 * One unit of a replication stream ({@link ReplicaSourceApi#export}): {@code length} bytes at {@code offset} of the
 * source snapshot, either their bytes ({@code data}), zeros ({@code data} null: any length, no payload) or, in a delta,
 * bytes the replica holds already ({@code unchanged}: no payload; applying it only moves the cursor and progress).
 * {@code crc32c} covers offset, length, kind and bytes; the importing pool verifies it. Chunks of a stream ascend and
 * do not overlap; a chunk's end is the replica's cursor once it is applied.
 *
 * @param data read-only, exactly {@code length} bytes; null for zeros and unchanged bytes
 */
public record ReplicaChunk(long offset, long length, ByteBuffer data, int crc32c, boolean unchanged) {
    public ReplicaChunk {
        if (offset < 0 || length <= 0 || (unchanged && data != null)) {
            throw new IllegalArgumentException("chunk at " + offset + " of " + length + " bytes"
                    + (unchanged && data != null ? " is unchanged but carries bytes" : ""));
        }
    }

    /** A chunk of data ({@code data} non-null) or zeros. */
    public ReplicaChunk(long offset, long length, ByteBuffer data, int crc32c) {
        this(offset, length, data, crc32c, false);
    }

    /** Zeros to write (unchanged bytes carry no payload either, but are not written). */
    public boolean zero() {
        return data == null && !unchanged;
    }

    /** Whether bytes travel with it (what a throttle and "bytes sent" count). */
    public boolean hasData() {
        return data != null;
    }

    public long end() {
        return offset + length;
    }
}
