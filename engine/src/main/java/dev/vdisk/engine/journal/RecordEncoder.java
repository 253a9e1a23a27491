package dev.vdisk.engine.journal;

import static dev.vdisk.engine.journal.JournalRecord.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Encodes one {@link JournalRecord} (header with its CRC) and writes header and payload with one gathering write,
 * without copying the payload. Not thread-safe: the journal's append lock owns the one instance.
 */
final class RecordEncoder {
    private final ByteBuffer header = ByteBuffer.allocateDirect(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer[] gather = new ByteBuffer[2];
    private final CRC32C crc = new CRC32C();

    /** Encodes the header of record {@code seq}; {@code payload}'s position is left unchanged. */
    void encode(long seq, long vdiskId, long offset, int length, byte type, ByteBuffer payload) {
        header.clear();
        header.putInt(MAGIC_OFFSET, MAGIC)
                .putInt(CRC_OFFSET, 0)
                .putLong(SEQ_OFFSET, seq)
                .putLong(VDISK_OFFSET, vdiskId)
                .putLong(OFFSET_OFFSET, offset)
                .putInt(LENGTH_OFFSET, length)
                .putInt(TYPE_OFFSET, type & 0xff);
        crc.reset();
        crc.update(header.position(SEQ_OFFSET));
        if (payloadLength(type, length) > 0) {
            int pos = payload.position();
            crc.update(payload);
            payload.position(pos);
        }
        header.putInt(CRC_OFFSET, (int) crc.getValue());
    }

    /**
     * Writes the record last encoded at byte {@code start} of {@code ch}; {@code payload}'s position is left unchanged
     * (also when the write fails, so that it can be retried).
     */
    void writeTo(FileChannel ch, long start, ByteBuffer payload, int payloadLen) throws IOException {
        int payloadPos = payload == null ? 0 : payload.position();
        try {
            header.position(0);
            ch.position(start);
            if (payloadLen > 0) {
                gather[0] = header;
                gather[1] = payload;
                long want = HEADER + payloadLen;
                long done = 0;
                while (done < want) {
                    done += ch.write(gather);
                }
            } else {
                while (header.hasRemaining()) {
                    ch.write(header);
                }
            }
        } finally {
            gather[1] = null;
            if (payload != null) {
                payload.position(payloadPos);
            }
        }
    }
}
