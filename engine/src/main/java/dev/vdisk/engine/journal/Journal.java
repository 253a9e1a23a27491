package dev.vdisk.engine.journal;

import static dev.vdisk.engine.journal.JournalRecord.*;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.core.ThreadJoin;
import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.error.ForeignPoolFileException;
import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.engine.error.PoolClosedException;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
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
    static final String SUFFIX = ".log";
    /** Where a file's first record starts: after its header. Scans and truncations start here. */
    private static final int FIRST_RECORD = JournalFileHeader.LENGTH;

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
    /** Files rotated out but not yet synced, oldest first; the group-commit leader syncs and closes them. */
    @GuardedBy("appendLock")
    private final List<Retired> retired = new ArrayList<>();
    /** A file was created since the directory was last synced. */
    @GuardedBy("appendLock")
    private boolean dirUnsynced;
    /** The last unlink of old files, joined on close; null if none ran. */
    @GuardedBy("appendLock")
    private Thread deleter;

    @GuardedBy("appendLock")
    private final ByteBuffer header = ByteBuffer.allocateDirect(HEADER).order(ByteOrder.LITTLE_ENDIAN);

    @GuardedBy("appendLock")
    private final ByteBuffer[] gather = new ByteBuffer[2];

    @GuardedBy("appendLock")
    private final CRC32C crc = new CRC32C();

    /** Guards the group commit hand-off. */
    private final ReentrantLock syncLock = new ReentrantLock();

    private final Condition synced = syncLock.newCondition();

    @GuardedBy("syncLock")
    private boolean syncing;

    private volatile long durableSeq;
    private volatile long lastSeq;
    private volatile boolean closed;

    /** Set at open; written by group-commit leaders (one at a time) and by close. */
    private SyncMark mark;
    /** What recovery found to replay; cleared by {@link #replay}. */
    private volatile List<FileScan.Run> replayRuns = List.of();

    private volatile List<JournalLoss> losses = List.of();

    private record Retired(Path path, FileChannel channel) {}

    private Journal(Path dir, long fileBytes, UUID pool) {
        this.dir = dir;
        this.fileBytes = fileBytes;
        this.pool = pool;
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
        Journal j = new Journal(dir, fileBytes, pool);
        try {
            PrivateFiles.createDirectories(dir);
            j.recover(replaySeq, SyncMark.read(markFile), acceptLoss);
            j.mark = SyncMark.open(markFile);
            j.mark.write(j.nextSeq, true);
        } catch (IOException e) {
            throw new EngineIOException("cannot open journal in " + dir + ": " + e, e);
        }
        return j;
    }

    /** Opens the empty journal of a new pool; an old sync mark at {@code markFile} is overwritten. */
    public static Journal create(Path dir, long fileBytes, UUID pool, Path markFile) {
        Journal j = new Journal(dir, fileBytes, pool);
        try {
            PrivateFiles.createDirectories(dir);
            j.recover(0, OptionalLong.empty(), false);
            j.mark = SyncMark.open(markFile);
            j.mark.write(j.nextSeq, true);
        } catch (IOException e) {
            throw new EngineIOException("cannot create journal in " + dir + ": " + e, e);
        }
        return j;
    }

    static List<Path> listFiles(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().forEach(out::add);
        }
        return out;
    }

    static long firstSeqOf(Path p) throws IOException {
        String n = p.getFileName().toString();
        try {
            return Long.parseLong(n.substring(0, n.length() - SUFFIX.length()));
        } catch (NumberFormatException e) {
            throw new IOException("journal directory holds " + n + ", which is not a journal file; move it away");
        }
    }

    private Path fileFor(long firstSeq) {
        return dir.resolve(String.format("%020d%s", firstSeq, SUFFIX));
    }

    private void recover(long replaySeq, OptionalLong synced, boolean acceptLoss) throws IOException {
        List<Path> paths = listFiles(dir);
        Set<Path> headerless = JournalHeaders.check(paths, pool);
        List<FileScan> scans = new ArrayList<>();
        for (Path p : paths) {
            scans.add(
                    headerless.contains(p)
                            ? FileScan.headerless(p, firstSeqOf(p))
                            : FileScan.of(p, firstSeqOf(p), FIRST_RECORD));
        }
        if (synced.isEmpty() && replaySeq > 0) {
            LOG.warn(
                    "journal of {} has no valid sync mark; only records below {} (the replay position) are known to"
                            + " have been fsynced",
                    dir,
                    replaySeq);
        }
        JournalRecovery.Plan plan = JournalRecovery.plan(dir, scans, replaySeq, synced);
        if (!plan.losses().isEmpty() && !acceptLoss) {
            throw new JournalDamagedException(plan.losses());
        }
        if (plan.torn() != null) {
            JournalRecovery.Cut t = plan.torn();
            LOG.warn(
                    "journal file {}: record {} at byte {} is torn ({}); dropping it and everything after it ({} later"
                            + " valid records), none of which was fsynced",
                    t.file(),
                    t.seq(),
                    t.byteOffset(),
                    t.problem() == null ? "missing" : t.problem(),
                    plan.droppedAfterTorn());
        }
        long cut = plan.losses().isEmpty() ? plan.nextSeq() : Long.MAX_VALUE;
        for (FileScan f : scans) {
            if (f.firstSeq() > cut) {
                Files.delete(f.path());
                continue;
            }
            long keep = f.size();
            if (cut != Long.MAX_VALUE) {
                keep = f.runs().stream()
                        .filter(r -> r.endSeq() <= cut)
                        .mapToLong(FileScan.Run::endByte)
                        .max()
                        .orElse(Math.min(FIRST_RECORD, f.size()));
            }
            // a torn tail's file whose header never reached the disk holds no record: it gets its header back
            boolean rewrite = cut != Long.MAX_VALUE && headerless.contains(f.path());
            try (FileChannel ch = FileChannel.open(f.path(), StandardOpenOption.WRITE)) {
                if (rewrite) {
                    ch.truncate(0);
                    writeHeader(ch, f.firstSeq());
                    keep = FIRST_RECORD;
                } else if (keep < f.size()) {
                    ch.truncate(keep);
                }
                ch.force(true); // the sync mark written below covers every record kept
            }
            files.put(f.firstSeq(), keep);
            totalBytes += keep;
        }
        replayRuns = plan.runs();
        losses = plan.losses();
        nextSeq = Math.max(plan.nextSeq(), replaySeq);
        lastSeq = nextSeq - 1;
        durableSeq = lastSeq;
        syncDir();
    }

    /** Journal records that recovery found missing and was told to accept (empty unless it was). */
    public List<JournalLoss> losses() {
        return losses;
    }

    /**
     * Passes every valid record with seq >= {@code from} to {@code sink}, in order, once (the records recovery found;
     * after damage that was accepted, those on both sides of each gap); returns how many.
     */
    public long replay(long from, RecordSink sink) {
        List<FileScan.Run> runs = replayRuns;
        replayRuns = List.of();
        long n = 0;
        long next = from;
        Path cached = null;
        ByteBuffer buf = null;
        CRC32C c = new CRC32C();
        // not under appendLock: the sink may wait for the destager, which appends nothing but reads nextSeq()
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
                        ByteBuffer pl = type == TYPE_WRITE
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
            syncDir();
            dirUnsynced = false;
            mark.write(nextSeq, true);
            losses = List.of();
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
            int payloadPos = payload == null ? 0 : payload.position();
            if (payloadLen > 0) {
                crc.update(payload);
                payload.position(payloadPos);
            }
            header.putInt(CRC_OFFSET, (int) crc.getValue());
            long start = activeBytes;
            while (true) {
                try {
                    header.position(0);
                    active.position(start);
                    if (payloadLen > 0) {
                        gather[0] = header;
                        gather[1] = payload;
                        long want = HEADER + payloadLen;
                        long done = 0;
                        while (done < want) {
                            done += active.write(gather);
                        }
                        payload.position(payloadPos);
                    } else {
                        while (header.hasRemaining()) {
                            active.write(header);
                        }
                    }
                    break;
                } catch (ClosedChannelException e) {
                    // an interrupt closed the channel mid-write: reopen, cut the partial record, retry
                    Thread.interrupted();
                    active = FileChannel.open(fileFor(activeFirstSeq), StandardOpenOption.WRITE);
                    active.truncate(start);
                    if (payload != null) {
                        payload.position(payloadPos);
                    }
                }
            }
            gather[1] = null;
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
            retired.add(new Retired(fileFor(activeFirstSeq), active));
        }
        activeFirstSeq = nextSeq;
        activeBytes = 0;
        active = PrivateFiles.open(
                fileFor(activeFirstSeq),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        files.put(activeFirstSeq, 0L);
        dirUnsynced = true;
        writeHeader(active, activeFirstSeq);
        activeBytes = JournalFileHeader.LENGTH;
        totalBytes += JournalFileHeader.LENGTH;
        files.put(activeFirstSeq, activeBytes);
    }

    private void writeHeader(FileChannel ch, long firstSeq) throws IOException {
        ByteBuffer h = JournalFileHeader.of(pool, firstSeq).encode();
        while (h.hasRemaining()) {
            ch.write(h, h.position());
        }
    }

    private void syncDir() throws IOException {
        PrivateFiles.syncDirectory(dir);
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
        return durableSeq;
    }

    /** Bytes in all journal files. */
    public long liveBytes() {
        return totalBytes;
    }

    /** Makes every record up to {@code seq} durable; concurrent callers share one fsync (group commit). */
    public void awaitDurable(long seq) {
        if (durableSeq >= seq) {
            return;
        }
        boolean interrupted = false;
        syncLock.lock();
        try {
            while (durableSeq < seq) {
                if (syncing) {
                    try {
                        synced.await();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                    continue;
                }
                syncing = true;
                syncLock.unlock();
                long end;
                try {
                    FileChannel ch;
                    Path chPath;
                    List<Retired> old;
                    boolean syncDir;
                    appendLock.lock();
                    try {
                        end = nextSeq - 1;
                        ch = active;
                        chPath = fileFor(activeFirstSeq);
                        old = retired.isEmpty() ? List.of() : List.copyOf(retired);
                        syncDir = dirUnsynced;
                        dirUnsynced = false;
                    } finally {
                        appendLock.unlock();
                    }
                    syncRetired(old, syncDir);
                    if (ch != null) {
                        forceFile(ch, chPath);
                    }
                    mark.write(end + 1, false); // before anyone hears of it: never behind a reported fsync
                } finally {
                    syncLock.lock();
                    syncing = false;
                    synced.signalAll();
                }
                if (end > durableSeq) {
                    durableSeq = end;
                }
            }
        } finally {
            syncLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Syncs rotated files (oldest first) and the directory, then forgets and closes those files. */
    private void syncRetired(List<Retired> old, boolean syncDir) {
        try {
            for (Retired r : old) {
                forceFile(r.channel(), r.path());
            }
            if (syncDir) {
                syncDirQuietly();
            }
        } catch (RuntimeException e) {
            if (syncDir) {
                appendLock.lock();
                dirUnsynced = true;
                appendLock.unlock();
            }
            throw e;
        }
        if (old.isEmpty()) {
            return;
        }
        appendLock.lock();
        try {
            retired.removeAll(old);
        } finally {
            appendLock.unlock();
        }
        for (Retired r : old) {
            try {
                r.channel().close();
            } catch (IOException e) {
                LOG.warn("closing journal file {} failed: {}", r.path(), e.toString());
            }
        }
    }

    private void syncDirQuietly() {
        boolean interrupted = Thread.interrupted();
        try {
            syncDir();
        } catch (IOException e) {
            throw new EngineIOException("fsync of journal directory " + dir + " failed: " + e, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * fsyncs the journal file {@code path} through {@code ch}, or through a fresh descriptor when an interrupt closed
     * {@code ch} (an fsync through any descriptor covers the file). Since rotation no longer syncs the file it
     * retires, the file to sync is always the one the leader took, never "the current active one": that could be the
     * next file, leaving the records of this one unsynced though reported durable.
     */
    private void forceFile(FileChannel ch, Path path) {
        boolean interrupted = Thread.interrupted();
        try {
            try {
                ch.force(false);
            } catch (ClosedChannelException e) {
                interrupted |= Thread.interrupted(); // set if the force itself was interrupted
                try (FileChannel again = FileChannel.open(path, StandardOpenOption.WRITE)) {
                    again.force(false);
                } catch (NoSuchFileException gone) {
                    // unlinked by deleteBefore: all its records lie below a durable consistency point's replay position
                }
            }
        } catch (IOException e) {
            throw new EngineIOException("journal fsync of " + path + " failed: " + e, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Deletes journal files all of whose records have sequence numbers below {@code seq}. They leave the journal at
     * once; the unlinks (milliseconds each for a file whose pages are still cached) run on a virtual thread, so that
     * neither appends nor the caller (a consistency point, which holds up the destager) wait for them. A crash before
     * an unlink leaves an old file that the next open scans and skips.
     */
    public void deleteBefore(long seq) {
        List<Path> doomed = new ArrayList<>();
        Thread previous;
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
            if (doomed.isEmpty()) {
                return;
            }
            previous = deleter;
            deleter = Thread.ofVirtual().name("journal-delete").unstarted(() -> unlink(previous, doomed));
            deleter.start();
        } finally {
            appendLock.unlock();
        }
    }

    /** Unlinks {@code doomed} in order, after {@code previous} (the unlinks before) finished. */
    private void unlink(Thread previous, List<Path> doomed) {
        ThreadJoin.uninterruptibly(previous);
        for (Path p : doomed) {
            try {
                Files.deleteIfExists(p);
                LOG.debug("deleted journal file {}", p);
            } catch (IOException e) {
                LOG.warn("cannot delete old journal file {}: {}", p, e.toString());
            }
        }
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        Thread unlinking;
        appendLock.lock();
        try {
            closed = true;
            for (Retired r : retired) {
                r.channel().force(false);
                r.channel().close();
            }
            retired.clear();
            if (dirUnsynced) {
                syncDir();
                dirUnsynced = false;
            }
            if (active != null) {
                active.force(false);
                active.close();
                active = null;
            }
            mark.write(nextSeq, true);
        } catch (IOException | RuntimeException e) {
            LOG.warn("closing journal {} failed: {}", dir, e.toString());
        } finally {
            unlinking = deleter;
            appendLock.unlock();
            mark.close();
        }
        ThreadJoin.uninterruptibly(unlinking);
    }

    /** Closes without syncing (tests simulating a crash); waits for unlinks already started. */
    public void abandon() {
        Thread unlinking;
        appendLock.lock();
        try {
            closed = true;
            for (Retired r : retired) {
                r.channel().close();
            }
            retired.clear();
            if (active != null) {
                active.close();
                active = null;
            }
        } catch (IOException e) {
            LOG.warn("abandoning journal {} failed: {}", dir, e.toString());
        } finally {
            unlinking = deleter;
            appendLock.unlock();
            mark.close();
        }
        ThreadJoin.uninterruptibly(unlinking);
    }
}
