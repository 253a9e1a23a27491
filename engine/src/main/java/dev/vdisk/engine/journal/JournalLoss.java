package dev.vdisk.engine.journal;

import java.nio.file.Path;
import java.util.List;

/**
 * Journal records that recovery needed and did not find: sequence numbers {@code fromSeq..toSeq-1}, the first of them
 * expected at {@code byteOffset} of {@code file}. Their writes were acknowledged (and, below the sync mark,
 * fsynced); the ranges they wrote hold older data if the pool is opened anyway. {@code toSeq} is -1 when nothing says
 * how many records there were (the journal ends early and no sync mark tells where it ended): then every record from
 * {@code fromSeq} on may be lost.
 *
 * @param file       the journal file where the first lost record was expected, or the journal directory when no
 *                   file holds that place (a missing file, an empty directory)
 * @param problem    what is wrong there, for the operator
 * @param claims     what the lost records' own headers say, where a header survived (unverified: its CRC failed); a
 *                   lost record without a claim wrote unknown ranges of any volume
 */
public record JournalLoss(Path file, long byteOffset, long fromSeq, long toSeq, String problem, List<Claim> claims) {

    public JournalLoss {
        claims = List.copyOf(claims);
    }

    /** Records lost, or -1 if unknown. */
    public long count() {
        return toSeq < 0 ? -1 : toSeq - fromSeq;
    }

    /** Whether every lost record's range is known (each has a claim). */
    public boolean rangesKnown() {
        return toSeq >= 0 && claims.size() == toSeq - fromSeq;
    }

    /** What the header of lost record {@code seq} says: vdisk id and byte range (a write or a discard). */
    public record Claim(long seq, long vdiskId, long offset, long length, boolean discard) {}

    /** One line: where, what, which records. */
    public String describe() {
        String which = toSeq < 0
                ? "records from " + fromSeq + " on may be lost (how many is unknown)"
                : toSeq == fromSeq
                        ? "no fsynced record is lost (sync mark), unsynced ones may be"
                        : toSeq - fromSeq == 1
                                ? "record " + fromSeq + " lost"
                                : "records " + fromSeq + ".." + (toSeq - 1) + " lost";
        return file.getFileName() + (byteOffset < 0 ? "" : " at byte " + byteOffset) + ": " + problem + "; " + which;
    }
}
