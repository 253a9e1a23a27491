package dev.vdisk.engine.replica;

import dev.vdisk.engine.error.ReplicaChecksumException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One unit of a replication stream: {@code length} bytes at {@code offset} of the source snapshot, either their
 * bytes ({@code data}, at most a chunk) or zeros ({@code data} null, any length: a deallocated extent or data that is
 * all zeros). {@code crc} is the CRC32C of offset, length, kind and bytes, so a damaged header is caught as well as a
 * damaged payload. Chunks of a stream are ascending and do not overlap; a chunk's end is the cursor after it.
 *
 * @param data read-only, position 0, limit {@code length}; null for zeros
 */
public record ExtentChunk(long offset, long length, ByteBuffer data, int crc) {
    /** A chunk of bytes with its checksum. */
    public static ExtentChunk ofData(long offset, ByteBuffer data) {
        ByteBuffer d = data.slice().asReadOnlyBuffer();
        return new ExtentChunk(offset, d.remaining(), d, checksum(offset, d.remaining(), d));
    }

    /** A chunk of zeros with its checksum. */
    public static ExtentChunk ofZeros(long offset, long length) {
        return new ExtentChunk(offset, length, null, checksum(offset, length, null));
    }

    public boolean zero() {
        return data == null;
    }

    public long end() {
        return offset + length;
    }

    /** CRC32C of a chunk's header and bytes ({@code data} null for zeros; its position is not moved). */
    public static int checksum(long offset, long length, ByteBuffer data) {
        CRC32C c = new CRC32C();
        ByteBuffer header = ByteBuffer.allocate(17);
        header.putLong(offset)
                .putLong(length)
                .put((byte) (data == null ? 0 : 1))
                .flip();
        c.update(header);
        if (data != null) {
            c.update(data.duplicate());
        }
        return (int) c.getValue();
    }

    /** Throws unless the checksum matches the chunk (a zero chunk has no bytes; a data chunk exactly length bytes). */
    public void verify() {
        if (data != null && data.remaining() != length) {
            throw new ReplicaChecksumException("extent at " + offset + " carries " + data.remaining() + " bytes, not "
                    + length + ": damaged in transit; resend it");
        }
        if (checksum(offset, length, data) != crc) {
            throw new ReplicaChecksumException(
                    "extent at " + offset + " (" + length + " bytes) fails its CRC32C: damaged in transit; resend it");
        }
    }
}
