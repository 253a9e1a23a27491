package dev.vdisk.engine.journal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * Decides, from the scanned journal files, the replay position {@code R} of the pool's newest consistency point and
 * the sync mark {@code N}, which records to replay and whether what is missing is a torn tail or damage.
 *
 * <p>How the journal is written decides what a crash can leave. Each record is one positional write into the page
 * cache, appended in sequence order under one lock; a group commit fsyncs retired files (oldest first), the directory,
 * then the active file, and only then moves the durable sequence number and the {@link SyncMark}. So every record
 * below {@code D = max(R, N)} was fsynced (records below R were destaged, which waits for durability), and a crash
 * can lose or tear only records at or above the durable point at that moment: after a kill, only the last append can
 * be partial; after a power loss, any page of the unsynced suffix may be missing (zeros, or a short file) while a
 * later one survived, even in a later file.
 *
 * <p>The rule: let {@code c} be the first sequence number at or after R that no valid record holds. If {@code c >= D}
 * it is a <b>torn tail</b>: the file holding it is truncated there and later files are deleted (nothing from c on was
 * ever fsynced). If {@code c < D}, or the journal does not reach from R (it ends before R, or its first file starts
 * after R), it is <b>damage</b>: fsynced records are bad or missing (a bad record followed by valid ones, a missing
 * file, a file cut short, an emptied directory, files trimmed by another opener).
 *
 * <p>The first file must hold R (or end exactly there) whatever the sync mark says: files are created in sequence
 * order, so a later file that survived means the one before it existed too, and a mark may lag after a power loss.
 * Without this rule a lost first file with a lagging mark would look like a torn tail at R, and the flushed records
 * of every later file would be deleted. A file without a header ({@link FileScan#headerless}) holds no record: at
 * or past D it can only be the newest file, a torn tail, and gets its header back.
 */
final class JournalRecovery {
    private JournalRecovery() {}

    /** Where the journal stops being usable, and why. */
    record Cut(Path file, long byteOffset, long seq, String problem) {}

    /**
     * The decision. {@code losses} is empty unless the journal is damaged; {@code runs} are the valid records to
     * replay from (all of them, in sequence order; replay skips those below R); {@code nextSeq} where appends go on.
     */
    record Plan(List<FileScan.Run> runs, List<JournalLoss> losses, Cut torn, long droppedAfterTorn, long nextSeq) {}

    static Plan plan(Path dir, List<FileScan> files, long replaySeq, OptionalLong mark) {
        long durable = Math.max(replaySeq, mark.orElse(replaySeq));
        List<FileScan.Run> runs = new ArrayList<>();
        for (FileScan f : files) {
            runs.addAll(f.runs());
        }
        runs.sort(Comparator.comparingLong(FileScan.Run::firstSeq));
        long end = files.isEmpty() ? 0 : files.getLast().endSeq();
        long c = replaySeq;
        for (FileScan.Run r : runs) {
            if (r.endSeq() <= c) {
                continue;
            }
            if (r.firstSeq() > c) {
                break;
            }
            c = r.endSeq();
        }
        long highest = runs.stream().mapToLong(FileScan.Run::endSeq).max().orElse(0);
        boolean startsAfterReplay = !files.isEmpty() && files.getFirst().firstSeq() > replaySeq;
        if (c >= durable && end >= replaySeq && !startsAfterReplay) {
            long dropped = 0;
            for (FileScan.Run r : runs) {
                dropped += Math.max(0, r.endSeq() - Math.max(r.firstSeq(), c + 1));
            }
            Cut torn = c < Math.max(end, highest) || hasBadAt(files, c) ? locate(dir, files, runs, c) : null;
            long cut = c;
            List<FileScan.Run> kept =
                    runs.stream().filter(r -> r.endSeq() <= cut).toList();
            return new Plan(kept, List.of(), torn, dropped, cut);
        }
        List<JournalLoss> losses = losses(dir, files, runs, replaySeq, durable, mark, end);
        return new Plan(runs, losses, null, 0, Math.max(Math.max(highest, end), durable));
    }

    /** The holes in {@code [R, D)} and after it up to the last valid record, plus an early end. */
    private static List<JournalLoss> losses(
            Path dir,
            List<FileScan> files,
            List<FileScan.Run> runs,
            long replaySeq,
            long durable,
            OptionalLong mark,
            long end) {
        List<JournalLoss> out = new ArrayList<>();
        long c = replaySeq;
        for (FileScan.Run r : runs) {
            if (r.endSeq() <= c) {
                continue;
            }
            if (r.firstSeq() > c) {
                out.add(loss(dir, files, runs, c, r.firstSeq(), problemAt(files, runs, c, r)));
            }
            c = r.endSeq();
        }
        if (out.isEmpty() && !files.isEmpty() && files.getFirst().firstSeq() > replaySeq) {
            long first = files.getFirst().firstSeq(); // no record follows the hole: the loop saw none
            out.add(loss(
                    dir,
                    files,
                    runs,
                    replaySeq,
                    first,
                    "no journal file holds records " + replaySeq + ".." + (first - 1) + " (a file is missing before "
                            + files.getFirst().path().getFileName() + ")"));
        }
        if (end < replaySeq) {
            String where = files.isEmpty()
                    ? "the journal directory holds no journal file"
                    : "the journal ends at record " + end;
            Cut at = locate(dir, files, runs, end);
            out.add(new JournalLoss(
                    at.file(),
                    at.byteOffset(),
                    replaySeq,
                    mark.isPresent() ? durable : -1,
                    where + ", before record " + replaySeq + " where the pool's last consistency point replays from",
                    List.of()));
        } else if (c < durable) {
            Cut at = locate(dir, files, runs, c);
            out.add(new JournalLoss(
                    at.file(),
                    at.byteOffset(),
                    c,
                    durable,
                    (at.problem() == null ? "the journal ends at record " + c : at.problem() + " at record " + c)
                            + ", but every record up to " + (durable - 1) + " was fsynced",
                    claims(files, c, durable)));
        }
        return out;
    }

    private static JournalLoss loss(
            Path dir, List<FileScan> files, List<FileScan.Run> runs, long from, long to, String problem) {
        Cut at = locate(dir, files, runs, from);
        return new JournalLoss(at.file(), at.byteOffset(), from, to, problem, claims(files, from, to));
    }

    private static String problemAt(List<FileScan> files, List<FileScan.Run> runs, long c, FileScan.Run next) {
        for (FileScan f : files) {
            for (FileScan.Bad b : f.bads()) {
                if (b.seq() == c) {
                    return b.problem() + ", and valid records follow from record " + next.firstSeq() + " in "
                            + next.path().getFileName();
                }
            }
        }
        return "no journal file holds records " + c + ".." + (next.firstSeq() - 1) + " (a file is missing before "
                + next.path().getFileName() + ")";
    }

    private static List<JournalLoss.Claim> claims(List<FileScan> files, long from, long to) {
        List<JournalLoss.Claim> out = new ArrayList<>();
        for (FileScan f : files) {
            for (FileScan.Bad b : f.bads()) {
                if (b.claim() != null && b.seq() >= from && b.seq() < to) {
                    out.add(b.claim());
                }
            }
        }
        return out;
    }

    private static boolean hasBadAt(List<FileScan> files, long seq) {
        return files.stream().anyMatch(f -> f.bads().stream().anyMatch(b -> b.seq() >= seq));
    }

    /**
     * Where record {@code seq} is or should have been: a bad record there, else the end of the run before it, else
     * the start of a file named after it, else the journal directory.
     */
    private static Cut locate(Path dir, List<FileScan> files, List<FileScan.Run> runs, long seq) {
        for (FileScan f : files) {
            for (FileScan.Bad b : f.bads()) {
                if (b.seq() == seq) {
                    return new Cut(f.path(), b.byteOffset(), seq, b.problem());
                }
            }
        }
        for (FileScan.Run r : runs) {
            if (r.endSeq() == seq) {
                return new Cut(r.path(), r.endByte(), seq, null);
            }
        }
        for (FileScan f : files) {
            if (f.firstSeq() == seq) {
                return new Cut(f.path(), 0, seq, null);
            }
        }
        return new Cut(dir, -1, seq, null); // no file holds or precedes it: the directory is all there is to name
    }
}
