package dev.vdisk.engine.replica;

import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.ReplicaStateException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target side of a replication: one replica, a vdisk on the target pool named as the replica, that only imports
 * write to. An import ({@link #begin}) applies a source's chunks in ascending order ({@link #apply}), records the
 * durable cursor now and then ({@link #checkpoint}: flush, then the state file), and once the source has sent
 * everything snapshots the vdisk ({@link #complete}): the replica's snapshots are complete copies, each with its own
 * change index, and the next delta applies on top of the newest. Between snapshots the vdisk is the last snapshot
 * with some ranges of the pending import replaced by the new snapshot's bytes, never anything else, which is what
 * makes resuming from a cursor (re-sending everything after it) and rolling back ({@link #abort}) correct. The
 * numbered protocol with its recovery is in docs/architecture/replication.md.
 *
 * <p>Thread-safety: every method is synchronized on this object; one puller thread drives an import, status readers
 * call {@link #progress} and {@link #state} from others.
 */
public final class ReplicaImport {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaImport.class);
    private static final int COPY_BYTES = 1 << 20;

    private final ReplicaHost pool;
    private final Path dir;
    private final String replica;
    /** As last written to the state file. */
    private ReplicaState state;
    /** End of the last applied chunk (>= the durable cursor). */
    private long appliedCursor;

    private long appliedDone;
    private long receivedBytes;

    private ReplicaImport(ReplicaHost pool, Path dir, ReplicaState state) {
        this.pool = pool;
        this.dir = dir;
        this.replica = state.replica();
        this.state = state;
    }

    /**
     * Opens replica {@code replica} whose state lives in {@code dir} (new if it has none) and finishes what a crash
     * interrupted: an abort is rolled back to the end, an import whose snapshot was taken is recorded as complete; an
     * import in the middle stays pending at its durable cursor.
     */
    public static ReplicaImport open(ReplicaHost pool, Path dir, String replica) {
        ReplicaState s = ReplicaStateFile.read(dir, replica).orElse(ReplicaState.empty(replica));
        ReplicaImport r = new ReplicaImport(pool, dir, s);
        r.recover();
        return r;
    }

    /** Names of the replicas whose state lives in {@code dir}, sorted. */
    public static List<String> names(Path dir) {
        return ReplicaStateFile.names(dir);
    }

    private synchronized void recover() {
        ReplicaState.Pending p = state.pending();
        if (p == null) {
            return;
        }
        if (p.aborting()) {
            LOG.info("replica {}: finishing the abort of {} that a restart interrupted", replica, p.sourceSnap());
            rollBack(p);
        } else if (pool.hasSnapshot(p.replicaSnap())) {
            LOG.info("replica {}: snapshot {} was taken before a restart; import complete", replica, p.replicaSnap());
            persist(state.completed(p.replicaSnap(), p.sourceSnap()));
        } else {
            appliedCursor = p.cursor();
            appliedDone = p.doneBytes();
            LOG.info("replica {}: import of {} pending at byte {}", replica, p.sourceSnap(), p.cursor());
        }
    }

    public synchronized ReplicaState state() {
        return state;
    }

    /** Where the import stands: cursor and bytes covered (in memory, ahead of the durable state), bytes received. */
    public synchronized ImportProgress progress() {
        ReplicaState.Pending p = state.pending();
        return new ImportProgress(
                p == null ? null : p.sourceSnap(),
                p == null ? 0 : p.sizeBytes(),
                appliedCursor,
                appliedDone,
                receivedBytes);
    }

    /**
     * Starts importing source snapshot {@code sourceSnap} ({@code sizeBytes}) as replica snapshot {@code replicaSnap},
     * or resumes the same import after a restart. Returns the pending import, whose {@code sourceBase} (null: a seed)
     * and {@code cursor} say what to ask the source for; empty if {@code sourceSnap} is already the replica's newest.
     *
     * @throws ReplicaStateException another import is pending, {@code replicaSnap} exists, the replica's vdisk is gone,
     *     or the source is smaller than the replica
     */
    public synchronized Optional<ReplicaState.Pending> begin(String sourceSnap, String replicaSnap, long sizeBytes) {
        ReplicaState.Pending p = state.pending();
        if (p != null) {
            if (p.sourceSnap().equals(sourceSnap) && p.replicaSnap().equals(replicaSnap)) {
                ensureVdisk(p);
                return Optional.of(p.at(appliedCursor, appliedDone));
            }
            throw new ReplicaStateException("replica " + replica + " is importing " + p.sourceSnap() + " as "
                    + p.replicaSnap() + "; finish or abort that import first");
        }
        if (sourceSnap.equals(state.lastSource())) {
            return Optional.empty();
        }
        if (pool.hasSnapshot(replicaSnap)) {
            throw new ReplicaStateException("snapshot " + replicaSnap + " already exists on the target pool; name the"
                    + " replica's snapshot differently");
        }
        if (state.lastSnapshot() == null) {
            if (pool.hasVdisk(replica)) {
                pool.delete(replica); // left by an aborted seed: its bytes must not show through the new one
            }
            p = new ReplicaState.Pending(null, sourceSnap, replicaSnap, sizeBytes, 0, 0, false);
        } else {
            if (!pool.hasVdisk(replica)) {
                throw new ReplicaStateException(
                        "replica " + replica + " lost its vdisk; delete the replica's state" + " and seed it again");
            }
            if (sizeBytes < pool.vdiskSize(replica)) {
                throw new ReplicaStateException("source " + sourceSnap + " (" + sizeBytes + " bytes) is smaller than"
                        + " replica " + replica + "; seed a new replica");
            }
            p = new ReplicaState.Pending(state.lastSource(), sourceSnap, replicaSnap, sizeBytes, 0, 0, false);
        }
        persist(state.withPending(p));
        appliedCursor = 0;
        appliedDone = 0;
        receivedBytes = 0;
        ensureVdisk(p);
        LOG.info(
                "replica {}: importing {} as {} ({}, {} bytes)",
                replica,
                sourceSnap,
                replicaSnap,
                p.sourceBase() == null ? "seed" : "delta from " + p.sourceBase(),
                sizeBytes);
        return Optional.of(p);
    }

    private void ensureVdisk(ReplicaState.Pending p) {
        if (!pool.hasVdisk(replica)) {
            if (p.sourceBase() != null || p.cursor() != 0) {
                throw new ReplicaStateException("replica " + replica + " lost its vdisk mid-import; abort the import");
            }
            pool.createVdisk(replica, p.sizeBytes());
        } else if (pool.vdiskSize(replica) < p.sizeBytes()) {
            pool.growVdisk(replica, p.sizeBytes());
        }
    }

    /**
     * Verifies {@code chunk}'s checksum and applies it to the replica's vdisk: bytes are written, zeros discarded (in
     * a seed the vdisk is all holes already), unchanged bytes only advance the cursor (the replica holds them: its
     * vdisk is the delta's base plus new bytes before the cursor). Chunks must ascend from the cursor.
     *
     * @throws dev.vdisk.engine.error.ReplicaChecksumException damaged in transit: nothing applied; resend from the
     *     cursor
     * @throws ReplicaStateException no import pending, or the chunk starts before the cursor (already applied)
     */
    public synchronized void apply(ExtentChunk chunk) {
        ReplicaState.Pending p = pendingOrThrow();
        chunk.verify();
        if (chunk.offset() < appliedCursor) {
            throw new ReplicaStateException("extent at " + chunk.offset() + " is before replica " + replica
                    + "'s cursor " + appliedCursor + ": resume from the cursor");
        }
        if (chunk.end() > p.sizeBytes()) {
            throw new InvalidRangeException("extent at " + chunk.offset() + " (" + chunk.length() + " bytes) ends past"
                    + " source " + p.sourceSnap() + " of " + p.sizeBytes() + " bytes");
        }
        if (chunk.unchanged()) {
            if (p.sourceBase() == null) {
                throw new ReplicaStateException("extent at " + chunk.offset() + " of replica " + replica
                        + " is marked unchanged in a seed: the source sent a delta's chunk; abort and seed again");
            }
        } else if (!chunk.zero()) {
            pool.write(replica, chunk.offset(), chunk.data().duplicate());
            receivedBytes += chunk.length();
        } else if (p.sourceBase() != null) {
            pool.discard(replica, chunk.offset(), chunk.length());
        }
        appliedCursor = chunk.end();
        appliedDone += chunk.length();
    }

    /** Makes the chunks applied so far durable and records the cursor after them; returns that cursor. */
    public synchronized long checkpoint() {
        ReplicaState.Pending p = pendingOrThrow();
        if (p.cursor() == appliedCursor) {
            return appliedCursor;
        }
        pool.flush(replica);
        persist(state.withPending(p.at(appliedCursor, appliedDone)));
        return appliedCursor;
    }

    /**
     * Ends the pending import once the source has sent its last chunk: flushes, snapshots the replica's vdisk as the
     * import's replica snapshot and records it as the newest. Returns that snapshot's name.
     */
    public synchronized String complete() {
        ReplicaState.Pending p = pendingOrThrow();
        pool.flush(replica);
        if (!pool.hasSnapshot(p.replicaSnap())) {
            pool.snapshot(replica, p.replicaSnap());
        }
        persist(state.completed(p.replicaSnap(), p.sourceSnap()));
        LOG.info(
                "replica {}: {} complete as snapshot {} ({} bytes received)",
                replica,
                p.sourceSnap(),
                p.replicaSnap(),
                receivedBytes);
        return p.replicaSnap();
    }

    /**
     * Drops the pending import: the replica's vdisk goes back to its newest snapshot (a seed's vdisk is deleted).
     * A crash meanwhile finishes the rollback at the next {@link #open}. Nothing to do if no import is pending.
     */
    public synchronized void abort() {
        ReplicaState.Pending p = state.pending();
        if (p == null) {
            return;
        }
        p = p.abortingFromStart();
        persist(state.withPending(p));
        rollBack(p);
    }

    private void rollBack(ReplicaState.Pending p) {
        if (state.lastSnapshot() == null) {
            if (pool.hasVdisk(replica)) {
                pool.delete(replica);
            }
        } else {
            String tmp = replica + ".rollback";
            if (pool.hasSnapshot(tmp)) {
                pool.delete(tmp);
            }
            pool.snapshot(replica, tmp);
            for (Iterator<SourceExtent> it = pool.extents(state.lastSnapshot(), tmp, 0); it.hasNext(); ) {
                SourceExtent e = it.next();
                restore(e.offset(), e.end());
            }
            pool.flush(replica);
            pool.delete(tmp);
        }
        persist(state.withPending(null));
        appliedCursor = 0;
        appliedDone = 0;
        LOG.info("replica {}: import of {} aborted; back at {}", replica, p.sourceSnap(), state.lastSnapshot());
    }

    /** Copies the newest snapshot's bytes of [from, to) over the vdisk (all-zero pieces as discards). */
    private void restore(long from, long to) {
        ByteBuffer b = ByteBuffer.allocateDirect(COPY_BYTES);
        long limit = Math.min(to, pool.snapshotSize(state.lastSnapshot()));
        for (long at = from; at < limit; ) {
            int n = (int) Math.min(COPY_BYTES, limit - at);
            b.clear().limit(n);
            pool.readSnapshot(state.lastSnapshot(), at, b);
            b.flip();
            if (SnapshotExport.allZero(b)) {
                pool.discard(replica, at, n);
            } else {
                pool.write(replica, at, b);
            }
            at += n;
        }
        if (to > limit) {
            pool.discard(replica, limit, to - limit);
        }
    }

    private ReplicaState.Pending pendingOrThrow() {
        ReplicaState.Pending p = state.pending();
        if (p == null || p.aborting()) {
            throw new ReplicaStateException("replica " + replica + " has no import pending; begin one first");
        }
        return p;
    }

    private void persist(ReplicaState s) {
        ReplicaStateFile.write(dir, s);
        state = s;
    }
}
