package dev.vdisk.e2e;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * A 4 KiB block that says what it is: magic, the write's sequence number, the offset it was written at, a CRC32C of
 * the rest, then bytes derived from (sequence, offset). A read-back block either proves which write it is or is
 * damaged (bad magic, offset or checksum); a zero block is one never written.
 */
record StampedBlock(long sequence, long offset) {
    static final int SIZE = 4096;
    private static final long MAGIC = 0x5644534b484f5631L; // "VDSKHOV1"
    private static final int HEADER = 32;

    /** Fills {@code block} (SIZE bytes, position 0) with this stamp. */
    void writeTo(ByteBuffer block) {
        block.clear();
        block.putLong(MAGIC).putLong(sequence).putLong(offset).putInt(0).putInt(0);
        SplittableRandom random = new SplittableRandom(sequence * 31 + offset);
        while (block.hasRemaining()) {
            block.putLong(random.nextLong());
        }
        block.putInt(24, checksum(block));
        block.flip();
    }

    /** What {@code block} holds: empty for a zero block; a damaged block is an {@link IllegalStateException}. */
    static Optional<StampedBlock> read(ByteBuffer block, long expectedOffset) {
        if (block.getLong(0) == 0 && block.getLong(8) == 0 && block.getLong(16) == 0 && block.getLong(HEADER) == 0) {
            return Optional.empty();
        }
        if (block.getLong(0) != MAGIC) {
            throw new IllegalStateException("block at " + expectedOffset + " has no stamp (garbage)");
        }
        StampedBlock stamp = new StampedBlock(block.getLong(8), block.getLong(16));
        if (stamp.offset != expectedOffset) {
            throw new IllegalStateException("block at " + expectedOffset + " holds write " + stamp.sequence
                    + " meant for offset " + stamp.offset);
        }
        if (block.getInt(24) != checksum(block)) {
            throw new IllegalStateException("block at " + expectedOffset + " of write " + stamp.sequence + " is torn");
        }
        return Optional.of(stamp);
    }

    /** CRC32C of the block with its checksum field taken as zero. */
    private static int checksum(ByteBuffer block) {
        CRC32C crc = new CRC32C();
        crc.update(block.slice(0, 24));
        crc.update(block.slice(HEADER - 4, SIZE - HEADER + 4));
        return (int) crc.getValue();
    }
}
