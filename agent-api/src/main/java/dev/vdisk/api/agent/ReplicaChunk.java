package dev.vdisk.api.agent;

import java.nio.ByteBuffer;

/**
 * One unit of a replication stream ({@link ReplicaSourceApi#export}): {@code length} bytes at {@code offset} of the
 * source snapshot, either their bytes ({@code data}) or zeros ({@code data} null: any length, no payload).
 * {@code crc32c} covers offset, length, kind and bytes; the importing pool verifies it. Chunks of a stream ascend and do
 * not overlap; a chunk's end is the replica's cursor once it is applied.
 *
 * @param data read-only, exactly {@code length} bytes; null for zeros
 */
public record ReplicaChunk(long offset, long length, ByteBuffer data, int crc32c) {
    public ReplicaChunk {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("chunk at " + offset + " of " + length + " bytes");
        }
    }

    public boolean zero() {
        return data == null;
    }

    public long end() {
        return offset + length;
    }
}
