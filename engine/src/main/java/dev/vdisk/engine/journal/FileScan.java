package dev.vdisk.engine.journal;

import static dev.vdisk.engine.journal.JournalRecord.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What one journal file holds: its runs of valid, consecutive records and the bad spots between them. After a bad
 * record the scan does not stop: it searches on for the next valid record (magic, CRC, and a sequence number that the
 * skipped bytes could have held), so that damage followed by valid records is told from a torn tail.
 *
 * @param firstSeq the sequence number in the file's name
 * @param runs     valid records, in file order
 * @param bads     a bad record where one was expected, before each later run and at a bad tail
 * @param endSeq   the sequence number after the file's last valid record ({@code firstSeq} if it has none)
 */
record FileScan(Path path, long firstSeq, long size, List<Run> runs, List<Bad> bads, long endSeq) {

    /** Records {@code firstSeq..endSeq-1} at bytes {@code startByte..endByte-1} of {@code path}. */
    record Run(Path path, long startByte, long endByte, long firstSeq, long endSeq) {}

    /**
     * A bad record at {@code byteOffset} where record {@code seq} was expected. {@code claim} is what its header says
     * when the header looks like one (magic, type, this sequence number), unverified since the CRC failed; else null.
     */
    record Bad(Path path, long byteOffset, long seq, String problem, JournalLoss.Claim claim) {}

    /** Reads the whole file; its records start at byte {@code start}. */
    static FileScan of(Path p, long firstSeq, int start) throws IOException {
        ByteBuffer buf = readAll(p);
        List<Run> runs = new ArrayList<>();
        List<Bad> bads = new ArrayList<>();
        CRC32C c = new CRC32C();
        long seq = firstSeq;
        int pos = Math.min(start, buf.limit());
        int runStart = pos;
        long runSeq = seq;
        while (pos < buf.limit()) {
            String problem = check(buf, pos, seq, c);
            if (problem == null) {
                pos += HEADER + payloadLength(buf.get(pos + TYPE_OFFSET), buf.getInt(pos + LENGTH_OFFSET));
                seq++;
                continue;
            }
            if (pos > runStart) {
                runs.add(new Run(p, runStart, pos, runSeq, seq));
            }
            bads.add(new Bad(p, pos, seq, problem, claimAt(buf, pos, seq)));
            int next = resync(buf, pos + 1, seq, c);
            if (next < 0) {
                return new FileScan(p, firstSeq, buf.limit(), runs, bads, seq);
            }
            pos = next;
            seq = buf.getLong(pos + SEQ_OFFSET);
            runStart = pos;
            runSeq = seq;
        }
        if (pos > runStart) {
            runs.add(new Run(p, runStart, pos, runSeq, seq));
        }
        return new FileScan(p, firstSeq, buf.limit(), runs, bads, seq);
    }

    /**
     * A file whose {@link JournalFileHeader} never reached the disk ({@link JournalHeaders}): it holds no record, and
     * its first one is missing at byte 0.
     */
    static FileScan headerless(Path p, long firstSeq) throws IOException {
        return new FileScan(
                p,
                firstSeq,
                Files.size(p),
                List.of(),
                List.of(new Bad(p, 0, firstSeq, "no file header (the file was created just before a crash)", null)),
                firstSeq);
    }

    static ByteBuffer readAll(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 16) {
                throw new IOException("journal file " + p + " is larger than 2 GiB");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // keep reading
            }
            return buf.flip();
        }
    }

    /** Why the record at {@code pos} is not record {@code seq}, or null if it is. */
    static String check(ByteBuffer buf, int pos, long seq, CRC32C c) {
        if (buf.limit() - pos < HEADER) {
            return "short header";
        }
        if (buf.getInt(pos + MAGIC_OFFSET) != MAGIC) {
            return "bad magic";
        }
        byte type = buf.get(pos + TYPE_OFFSET);
        int length = buf.getInt(pos + LENGTH_OFFSET);
        if (!knownType(type) || length < 0) {
            return "bad type or length";
        }
        int payload = payloadLength(type, length);
        if (buf.limit() - pos - HEADER < payload) {
            return "short payload";
        }
        c.reset();
        c.update(buf.duplicate().position(pos + SEQ_OFFSET).limit(pos + HEADER + payload));
        if ((int) c.getValue() != buf.getInt(pos + CRC_OFFSET)) {
            return "bad CRC";
        }
        long actual = buf.getLong(pos + SEQ_OFFSET);
        if (actual != seq) {
            return "sequence " + actual + " where " + seq + " was expected";
        }
        return null;
    }

    private static JournalLoss.Claim claimAt(ByteBuffer buf, int pos, long seq) {
        if (buf.limit() - pos < HEADER
                || buf.getInt(pos + MAGIC_OFFSET) != MAGIC
                || buf.getLong(pos + SEQ_OFFSET) != seq) {
            return null;
        }
        byte type = buf.get(pos + TYPE_OFFSET);
        int length = buf.getInt(pos + LENGTH_OFFSET);
        if (!knownType(type) || length < 0) {
            return null;
        }
        return new JournalLoss.Claim(
                seq, buf.getLong(pos + VDISK_OFFSET), buf.getLong(pos + OFFSET_OFFSET), length, type == TYPE_DISCARD);
    }

    /**
     * The offset of the next valid record at or after {@code from} whose sequence number is at least {@code seq} and
     * no more than the skipped bytes could have held (each record takes at least a header), or -1. The bound keeps a
     * journal file that a vdisk happens to store inside a payload from being taken for records.
     */
    private static int resync(ByteBuffer buf, int from, long seq, CRC32C c) {
        for (int q = from; q + HEADER <= buf.limit(); q++) {
            if (buf.getInt(q + MAGIC_OFFSET) != MAGIC) {
                continue;
            }
            long s = buf.getLong(q + SEQ_OFFSET);
            long skippedAtMost = (q - from + 1) / HEADER;
            if (s < seq || s - seq > skippedAtMost) {
                continue;
            }
            if (check(buf, q, s, c) == null) {
                return q;
            }
        }
        return -1;
    }
}
