package dev.vdisk.engine.journal;

import static dev.vdisk.engine.journal.JournalRecord.*;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.error.ForeignPoolFileException;
import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.engine.error.PoolClosedException;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write journal: append, group commit, recovery and trimming. See {@link JournalRecord} for the bytes.
 *
 * <p>{@link #append} writes a record into the page cache of the active file and returns its sequence number (the
 * write is acknowledged). {@link #awaitDurable} makes every record up to a sequence number durable; concurrent
 * callers share one {@code fsync} (group commit): one of them is the leader and syncs everything appended so far,
 * the others wait for it. Rotation does not sync the full file (an fsync of a whole file under the append lock
 * stalled every writer): the file is retired, and the next group-commit leader syncs retired files, the directory
 * (new file names) and then the active file, in that order, then writes the {@link SyncMark}, before it moves
 * {@link #durableSeq}. Records are thus made durable in sequence order, and recovery ({@link JournalRecovery}) tells a
 * torn tail (at or past the durable point: truncated) from damage (fsynced records bad or missing: refused). Old files
 * are unlinked outside every lock, on a virtual thread ({@link #deleteBefore}).
 *
 * <p>Every file starts with a {@link JournalFileHeader} naming the pool; {@link #open} checks every header
 * ({@link JournalHeaders}) before recovery, and refuses a file of another pool before it changes anything.
 */
public final class Journal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private final Path dir;
    private final long fileBytes;
    /** The pool whose UUID every file's header carries. */
    private final UUID pool;

    /** Guards appends, the active file and the file list. Never held while waiting for an fsync of others. */
    private final ReentrantLock appendLock = new ReentrantLock();

    @GuardedBy("appendLock")
    private final TreeMap<Long, Long> files = new TreeMap<>(); // first seq -> bytes

    @GuardedBy("appendLock")
    private FileChannel active;

    @GuardedBy("appendLock")
    private long activeFirstSeq;

    @GuardedBy("appendLock")
    private long activeBytes;

    @GuardedBy("appendLock")
    private long nextSeq;
    /** Written under appendLock; read freely (every write checks it for backpressure). */
    @GuardedBy("appendLock")
    private volatile long totalBytes;
    /** Files rotated out but not yet synced, and whether the directory is; guarded by appendLock. */
    private final RetiredFiles retired;

    private final FileUnlinker unlinker = new FileUnlinker();

    @GuardedBy("appendLock")
    private final RecordEncoder encoder = new RecordEncoder();

    private final GroupCommit commit = new GroupCommit();
    private volatile long lastSeq;
    private volatile boolean closed;

    /** Set at open; written by group-commit leaders (one at a time) and by close. */
    private SyncMark mark;
    /** What recovery found to replay, and the losses it accepted. */
    private final RecoveredRecords recovered = new RecoveredRecords();

    private Journal(Path dir, long fileBytes, UUID pool) {
        this.dir = dir;
        this.fileBytes = fileBytes;
        this.pool = pool;
        this.retired = new RetiredFiles(dir, appendLock);
    }

    /**
     * Opens the journal in {@code dir} and recovers it ({@link JournalRecovery} says how): a torn tail is truncated and
     * later files deleted; damage (fsynced records bad or missing, or a journal that does not reach back to or on to
     * {@code replaySeq}) throws {@link JournalDamagedException} unless {@code acceptLoss}, when the records that
     * survive are kept for {@link #replay} and {@link #losses} lists the rest. Sequence numbers continue after the last
     * record, and never below {@code replaySeq} (the replay position of the newest consistency point).
     * {@code markFile} is the {@link SyncMark}.
     *
     * @throws ForeignPoolFileException if a file's header names another pool than {@code pool} (nothing is changed)
     */
    public static Journal open(Path dir, long fileBytes, long replaySeq, UUID pool, Path markFile, boolean acceptLoss) {
        return start(dir, fileBytes, pool, markFile, replaySeq, true, acceptLoss);
    }

    /** Opens the empty journal of a new pool; an old sync mark at {@code markFile} is overwritten. */
    public static Journal create(Path dir, long fileBytes, UUID pool, Path markFile) {
        return start(dir, fileBytes, pool, markFile, 0, false, false);
    }

    private static Journal start(
            Path dir, long fileBytes, UUID pool, Path markFile, long replaySeq, boolean readMark, boolean acceptLoss) {
        Journal j = new Journal(dir, fileBytes, pool);
        try {
            PrivateFiles.createDirectories(dir);
            j.recover(replaySeq, readMark ? SyncMark.read(markFile) : OptionalLong.empty(), acceptLoss);
            j.mark = SyncMark.open(markFile);
            j.mark.write(j.nextSeq, true);
        } catch (IOException e) {
            throw new EngineIOException(
                    "cannot " + (readMark ? "open" : "create") + " journal in " + dir + ": " + e, e);
        }
        return j;
    }

    private Path fileFor(long firstSeq) {
        return JournalFiles.pathFor(dir, firstSeq);
    }

    private void recover(long replaySeq, OptionalLong synced, boolean acceptLoss) throws IOException {
        JournalRepair.Recovered r = JournalRepair.recover(dir, pool, replaySeq, synced, acceptLoss);
        files.putAll(r.files());
        for (long bytes : files.values()) {
            totalBytes += bytes;
        }
        recovered.found(r.runs(), r.losses());
        nextSeq = Math.max(r.nextSeq(), replaySeq);
        lastSeq = nextSeq - 1;
        commit.start(lastSeq);
        JournalFiles.syncDir(dir);
    }

    /** Journal records that recovery found missing and was told to accept (empty unless it was). */
    public List<JournalLoss> losses() {
        return recovered.losses();
    }

    /**
     * Passes every valid record with seq >= {@code from} to {@code sink}, in order, once (the records recovery found;
     * after damage that was accepted, those on both sides of each gap); returns how many.
     */
    public long replay(long from, RecordSink sink) {
        return recovered.replay(from, sink);
    }

    /** As {@link #replay}, without using the records up: open holds what pointer records name before it replays. */
    public void peek(long from, RecordSink sink) {
        recovered.peek(from, sink);
    }

    /**
     * After accepted damage, once everything replayed is destaged and a consistency point replays from
     * {@link #nextSeq()}: deletes every journal file (they hold the damage, and nothing in them is needed any more)
     * and starts an empty one there, so that the next open finds a whole journal.
     */
    public void startOverAfterLoss() {
        appendLock.lock();
        try {
            if (active != null || !retired.isEmpty()) {
                throw new IllegalStateException("the journal was appended to before the loss was dealt with");
            }
            for (long first : files.keySet()) {
                Files.deleteIfExists(fileFor(first));
            }
            files.clear();
            totalBytes = 0;
            rotateWithoutLocking();
            active.force(false); // its header: the file the next open must find
            JournalFiles.syncDir(dir);
            retired.dirSynced();
            mark.write(nextSeq, true);
            recovered.forgetLosses();
        } catch (IOException e) {
            throw new EngineIOException("cannot start the journal in " + dir + " over: " + e, e);
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * Appends one record and returns its sequence number. {@code payload} (WRITE only) is read from its position to
     * its limit; its position is left unchanged.
     */
    public long append(long vdiskId, long offset, int length, byte type, ByteBuffer payload) {
        appendLock.lock();
        boolean interrupted = Thread.interrupted();
        try {
            if (closed) {
                throw new PoolClosedException("journal in " + dir + " is closed; reopen the pool");
            }
            int payloadLen = payloadLength(type, length);
            if (active == null
                    || activeBytes + HEADER + payloadLen > fileBytes && activeBytes > JournalFileHeader.LENGTH) {
                rotateWithoutLocking();
            }
            long seq = nextSeq;
            encoder.encode(seq, vdiskId, offset, length, type, payload);
            long start = activeBytes;
            while (true) {
                try {
                    encoder.writeTo(active, start, payload, payloadLen);
                    break;
                } catch (ClosedChannelException e) {
                    // an interrupt closed the channel mid-write: reopen, cut the partial record, retry
                    Thread.interrupted();
                    active = FileChannel.open(fileFor(activeFirstSeq), StandardOpenOption.WRITE);
                    active.truncate(start);
                }
            }
            activeBytes = start + HEADER + payloadLen;
            totalBytes += HEADER + payloadLen;
            files.put(activeFirstSeq, activeBytes);
            nextSeq = seq + 1;
            lastSeq = seq;
            return seq;
        } catch (IOException e) {
            throw new EngineIOException(
                    "journal append in " + dir + " failed: " + e + "; the journal disk may be full", e);
        } finally {
            appendLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts the next file; the full one is synced by the next group commit (see the class comment). */
    @GuardedBy("appendLock")
    private void rotateWithoutLocking() throws IOException {
        if (active != null) {
            retired.retire(fileFor(activeFirstSeq), active);
        }
        activeFirstSeq = nextSeq;
        activeBytes = 0;
        active = PrivateFiles.open(
                fileFor(activeFirstSeq),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        files.put(activeFirstSeq, 0L);
        retired.fileCreated();
        JournalFiles.writeHeader(active, pool, activeFirstSeq);
        activeBytes = JournalFileHeader.LENGTH;
        totalBytes += JournalFileHeader.LENGTH;
        files.put(activeFirstSeq, activeBytes);
    }

    /** Sequence number of the last appended record (-1 if none ever). */
    public long lastSeq() {
        return lastSeq;
    }

    /**
     * The sequence number the next append will get, or (while an append is under way) the one it is getting: read
     * without appendLock, which the checkpointer waited for behind writers; callers use it as an upper bound of the
     * replay position, where a lower value is the safe side.
     */
    public long nextSeq() {
        return lastSeq + 1;
    }

    public long durableSeq() {
        return commit.durableSeq();
    }

    /** Bytes in all journal files. */
    public long liveBytes() {
        return totalBytes;
    }

    /** Makes every record up to {@code seq} durable; concurrent callers share one fsync (group commit). */
    public void awaitDurable(long seq) {
        commit.awaitDurable(seq, this::syncAppended);
    }

    /**
     * The group-commit leader's sync: retired files, the directory, the active file, then the sync mark, in that
     * order (see the class comment); returns the last sequence number it made durable.
     */
    private long syncAppended() {
        long end;
        FileChannel ch;
        Path chPath;
        RetiredFiles.Pending pending;
        appendLock.lock();
        try {
            end = nextSeq - 1;
            ch = active;
            chPath = fileFor(activeFirstSeq);
            pending = retired.takePending();
        } finally {
            appendLock.unlock();
        }
        retired.sync(pending);
        if (ch != null) {
            JournalFiles.force(ch, chPath);
        }
        mark.write(end + 1, false); // before anyone hears of it: never behind a reported fsync
        return end;
    }

    /**
     * Deletes journal files all of whose records have sequence numbers below {@code seq}. They leave the journal at
     * once; the unlinks (milliseconds each for a file whose pages are still cached) run on a virtual thread, so that
     * neither appends nor the caller (a consistency point, which holds up the destager) wait for them. A crash before
     * an unlink leaves an old file that the next open scans and skips.
     */
    public void deleteBefore(long seq) {
        List<Path> doomed = new ArrayList<>();
        appendLock.lock();
        try {
            while (files.size() > 1) {
                long first = files.firstKey();
                Long next = files.higherKey(first);
                if (next == null || next > seq || first == activeFirstSeq) {
                    break;
                }
                doomed.add(fileFor(first));
                totalBytes -= files.remove(first);
            }
            if (!doomed.isEmpty()) {
                unlinker.unlinkLater(doomed); // in order: a later open must never find a gap before a kept file
            }
        } finally {
            appendLock.unlock();
        }
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        shutDown(true);
    }

    /** Closes without syncing (tests simulating a crash); waits for unlinks already started. */
    public void abandon() {
        shutDown(false);
    }

    /** Closes every file, after syncing them, the directory and the mark if {@code sync}; waits for the unlinks. */
    private void shutDown(boolean sync) {
        appendLock.lock();
        try {
            closed = true;
            retired.closeAll(sync);
            if (active != null) {
                if (sync) {
                    active.force(false);
                }
                active.close();
                active = null;
            }
            if (sync) {
                mark.write(nextSeq, true);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("closing journal {} failed: {}", dir, e.toString());
        } finally {
            appendLock.unlock();
            mark.close();
        }
        unlinker.awaitAll();
    }
}
