package dev.vdisk.engine.journal;

import static dev.vdisk.engine.journal.JournalRecord.*;

import dev.vdisk.engine.error.EngineIOException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;

/** Reads the records recovery found ({@link FileScan.Run}s) back, in order, into a {@link RecordSink}. */
final class JournalReplay {
    private JournalReplay() {}

    /**
     * Passes every record of {@code runs} with seq >= {@code from} to {@code sink}, in order; returns how many. Each
     * record is checked again: a file that changed since its scan is an error, not silently different data.
     */
    static long replay(List<FileScan.Run> runs, long from, RecordSink sink) {
        long n = 0;
        long next = from;
        Path cached = null;
        ByteBuffer buf = null;
        CRC32C c = new CRC32C();
        try {
            for (FileScan.Run r : runs) {
                if (r.endSeq() <= next) {
                    continue;
                }
                if (!r.path().equals(cached)) {
                    buf = FileScan.readAll(r.path());
                    cached = r.path();
                }
                long seq = r.firstSeq();
                for (int pos = (int) r.startByte(); pos < r.endByte(); seq++) {
                    if (FileScan.check(buf, pos, seq, c) != null) {
                        throw new EngineIOException(
                                "journal file " + r.path() + " changed at byte " + pos + " while it was replayed");
                    }
                    byte type = buf.get(pos + TYPE_OFFSET);
                    int length = buf.getInt(pos + LENGTH_OFFSET);
                    int payload = payloadLength(type, length);
                    if (seq >= next) {
                        ByteBuffer pl = payload > 0
                                ? buf.duplicate()
                                        .position(pos + HEADER)
                                        .limit(pos + HEADER + payload)
                                        .slice()
                                : null;
                        sink.record(
                                seq,
                                buf.getLong(pos + VDISK_OFFSET),
                                buf.getLong(pos + OFFSET_OFFSET),
                                length,
                                type,
                                pl);
                        n++;
                        next = seq + 1;
                    }
                    pos += HEADER + payload;
                }
            }
        } catch (IOException e) {
            throw new EngineIOException("journal replay failed: " + e, e);
        }
        return n;
    }
}
