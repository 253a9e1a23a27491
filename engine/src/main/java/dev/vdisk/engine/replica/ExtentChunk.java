package dev.vdisk.engine.replica;

import dev.vdisk.engine.error.ReplicaChecksumException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One unit of a replication stream: {@code length} bytes at {@code offset} of the source snapshot, either their
 * bytes ({@code data}, at most a chunk), zeros ({@code data} null, any length: a deallocated extent or data that is
 * all zeros) or, in a delta, bytes the replica already holds ({@code unchanged}: blocks of a changed segment equal to
 * the base's; no payload, the import only moves its cursor and progress over them). {@code crc} is the CRC32C of
 * offset, length, kind and bytes, so a damaged header is caught as well as a damaged payload. Chunks of a stream are
 * ascending and do not overlap; a chunk's end is the cursor after it.
 *
 * @param data read-only, position 0, limit {@code length}; null for zeros and unchanged bytes
 */
public record ExtentChunk(long offset, long length, ByteBuffer data, int crc, boolean unchanged) {
    /** Kind byte of the checksummed header. */
    private static final byte ZEROS = 0;

    private static final byte DATA = 1;
    private static final byte UNCHANGED = 2;

    /** A chunk of data or zeros as received (not unchanged). */
    public ExtentChunk(long offset, long length, ByteBuffer data, int crc) {
        this(offset, length, data, crc, false);
    }

    public ExtentChunk {
        if (unchanged && data != null) {
            throw new IllegalArgumentException("an unchanged extent at " + offset + " carries no bytes");
        }
    }

    /** A chunk of bytes with its checksum. */
    public static ExtentChunk ofData(long offset, ByteBuffer data) {
        ByteBuffer d = data.slice().asReadOnlyBuffer();
        return new ExtentChunk(offset, d.remaining(), d, checksum(offset, d.remaining(), d));
    }

    /** A chunk of zeros with its checksum. */
    public static ExtentChunk ofZeros(long offset, long length) {
        return new ExtentChunk(offset, length, null, checksum(offset, length, null));
    }

    /** A delta's bytes that the replica holds already (equal in the base), with its checksum. */
    public static ExtentChunk ofUnchanged(long offset, long length) {
        return new ExtentChunk(offset, length, null, checksum(offset, length, UNCHANGED, null), true);
    }

    /** Zeros to write (false for unchanged bytes, which carry no payload either). */
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

    /** CRC32C of a data or zero chunk's header and bytes ({@code data} null for zeros; its position is not moved). */
    public static int checksum(long offset, long length, ByteBuffer data) {
        return checksum(offset, length, data == null ? ZEROS : DATA, data);
    }

    /** CRC32C of an unchanged extent's header. */
    public static int unchangedChecksum(long offset, long length) {
        return checksum(offset, length, UNCHANGED, null);
    }

    private static int checksum(long offset, long length, byte kind, ByteBuffer data) {
        CRC32C c = new CRC32C();
        ByteBuffer header = ByteBuffer.allocate(17);
        header.putLong(offset).putLong(length).put(kind).flip();
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
        int expected = unchanged ? unchangedChecksum(offset, length) : checksum(offset, length, data);
        if (expected != crc) {
            throw new ReplicaChecksumException(
                    "extent at " + offset + " (" + length + " bytes) fails its CRC32C: damaged in transit; resend it");
        }
    }
}
