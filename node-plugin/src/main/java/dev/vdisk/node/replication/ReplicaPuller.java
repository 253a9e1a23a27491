package dev.vdisk.node.replication;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.ReplicaChunk;
import dev.vdisk.api.agent.ReplicaCursor;
import dev.vdisk.api.agent.ReplicaPlan;
import dev.vdisk.api.agent.ReplicaSourceApi;
import dev.vdisk.api.agent.ReplicaTargetApi;
import java.util.Iterator;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls one source snapshot into one replica (steps 1-5 of docs/architecture/replication.md): begin (or resume) the
 * import on the target, ask the source for the seed or delta from the target's cursor, apply each chunk (throttled on
 * data bytes), record the cursor every {@link #CURSOR_BYTES} or {@link #CURSOR_NANOS}, complete. A stream that breaks
 * (IO_ERROR or UNAVAILABLE-like failures: a dropped connection, a damaged chunk, the source agent restarting) is
 * opened again from the target's cursor after a back-off, so nothing applied is sent twice; other failures (a deleted
 * source snapshot, another import pending) end the pull with the import left pending for the caller to resume or
 * abort.
 *
 * <p>Thread-safety: {@link #pull} runs on the caller's thread, one pull per instance at a time; {@link #status} may be
 * read from any thread.
 */
public final class ReplicaPuller {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaPuller.class);
    static final long CURSOR_BYTES = 16L << 20;
    static final long CURSOR_NANOS = 2_000_000_000L;

    private final ReplicaTargetApi target;
    private final Supplier<ReplicaSourceApi> connect;
    private final int maxAttempts;
    private final long retryMillis;
    private final ReplicaPulls board;
    private volatile PullStatus status;

    /**
     * @param connect opens a connection to the source agent, once per attempt
     * @param maxAttempts connections tried before the pull fails
     * @param retryMillis first back-off between attempts (doubling, at most 30 s)
     */
    public ReplicaPuller(
            ReplicaTargetApi target, Supplier<ReplicaSourceApi> connect, int maxAttempts, long retryMillis) {
        this(target, connect, maxAttempts, retryMillis, new ReplicaPulls());
    }

    /** A puller that also publishes its status on the node's {@code board} (the replica status and metrics). */
    public ReplicaPuller(
            ReplicaTargetApi target,
            Supplier<ReplicaSourceApi> connect,
            int maxAttempts,
            long retryMillis,
            ReplicaPulls board) {
        this.target = target;
        this.connect = connect;
        this.maxAttempts = maxAttempts;
        this.retryMillis = retryMillis;
        this.board = board;
    }

    public Optional<PullStatus> status() {
        return Optional.ofNullable(status);
    }

    /**
     * Pulls {@code sourceSnapshotId} into replica {@code replicaId} as snapshot {@code snapshotId} at most
     * {@code rateBytesPerSecond} (0 = unlimited) and returns the final status (DONE); an import already complete
     * returns DONE at once.
     *
     * @throws AgentException the last failure once retrying is over, or at once if it is not worth retrying
     */
    public PullStatus pull(String replicaId, String sourceSnapshotId, String snapshotId, long rateBytesPerSecond)
            throws InterruptedException {
        if (rateBytesPerSecond < 0) {
            throw new AgentException(
                    AgentReason.INVALID_ARGUMENT,
                    "replication rate " + rateBytesPerSecond + " of replica " + replicaId
                            + " is negative: give bytes per second, 0 for unlimited");
        }
        Run run = new Run(replicaId, sourceSnapshotId, rateBytesPerSecond);
        long backoff = retryMillis;
        while (true) {
            run.attempts++;
            try {
                attempt(run, snapshotId, new ByteRateLimit(rateBytesPerSecond, 1L << 20));
                return publish(run, "DONE", "");
            } catch (AgentException e) {
                if (!retryable(e) || run.attempts >= maxAttempts) {
                    publish(run, "FAILED", e.getMessage());
                    LOG.warn(
                            "replica {}: pull of {} failed after {} attempts: {}",
                            replicaId,
                            sourceSnapshotId,
                            run.attempts,
                            e.getMessage());
                    throw e;
                }
                publish(run, "RETRYING", e.getMessage());
                LOG.info(
                        "replica {}: stream of {} broke at byte {} ({}); resuming from the cursor in {} ms",
                        replicaId,
                        sourceSnapshotId,
                        run.cursor,
                        e.getMessage(),
                        backoff);
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, 30_000);
            }
        }
    }

    private void attempt(Run run, String snapshotId, ByteRateLimit limit) throws InterruptedException {
        ReplicaSourceApi source = connect.get();
        long size = source.snapshotSize(run.sourceSnapshotId);
        Optional<ReplicaCursor> begun = target.beginImport(run.replicaId, run.sourceSnapshotId, snapshotId, size);
        if (begun.isEmpty()) {
            return; // already the replica's newest
        }
        ReplicaCursor cursor = begun.get();
        long doneBefore =
                target.replicaStatus(run.replicaId).map(s -> s.bytesDone()).orElse(0L);
        if (run.firstDone < 0) {
            run.firstDone = doneBefore;
        }
        ReplicaPlan plan = source.exportPlan(cursor.baseSnapshotId(), run.sourceSnapshotId, cursor.offset());
        run.total = doneBefore + plan.coveredBytes();
        run.done = doneBefore;
        run.cursor = cursor.offset();
        publish(run, "RUNNING", "");
        long sinceCursor = 0;
        long cursorAt = System.nanoTime();
        for (Iterator<ReplicaChunk> it = source.export(cursor.baseSnapshotId(), run.sourceSnapshotId, cursor.offset());
                it.hasNext(); ) {
            ReplicaChunk c = it.next();
            if (c.hasData()) {
                limit.acquire(c.length());
                run.sent += c.length();
                sinceCursor += c.length();
            }
            target.applyChunk(run.replicaId, c);
            run.done += c.length();
            run.cursor = c.end();
            if (sinceCursor >= CURSOR_BYTES || System.nanoTime() - cursorAt >= CURSOR_NANOS) {
                target.recordCursor(run.replicaId);
                sinceCursor = 0;
                cursorAt = System.nanoTime();
                publish(run, "RUNNING", "");
            }
        }
        target.recordCursor(run.replicaId);
        target.completeImport(run.replicaId);
        run.done = run.total;
    }

    private static boolean retryable(AgentException e) {
        return e.reason() == AgentReason.IO_ERROR;
    }

    private PullStatus publish(Run run, String phase, String message) {
        double seconds = (System.nanoTime() - run.started) / 1e9;
        double rate = seconds <= 0 ? 0 : (run.done - Math.max(0, run.firstDone)) / seconds;
        long eta = run.total < 0 ? -1 : rate <= 0 ? -1 : (long) Math.ceil((run.total - run.done) / rate);
        PullStatus s = new PullStatus(
                run.replicaId,
                run.sourceSnapshotId,
                phase,
                run.done,
                run.total,
                run.sent,
                rate,
                "DONE".equals(phase) ? 0 : eta,
                run.attempts,
                run.rateLimit,
                message);
        status = s;
        board.publish(s);
        return s;
    }

    /** One pull's counters (the pulling thread's only). */
    private static final class Run {
        final String replicaId;
        final String sourceSnapshotId;
        final long rateLimit;
        final long started = System.nanoTime();
        int attempts;
        long total = -1;
        long done;
        /** Bytes done before this pull (an import resumed after a restart), -1 until known. */
        long firstDone = -1;

        long sent;
        long cursor;

        Run(String replicaId, String sourceSnapshotId, long rateLimit) {
            this.replicaId = replicaId;
            this.sourceSnapshotId = sourceSnapshotId;
            this.rateLimit = rateLimit;
        }
    }
}
