package dev.vdisk.engine.split;

import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.error.SplitStateException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The split tasks of one open pool (running and finished, by clone id): starts, resumes and lists them. The pool
 * calls {@link #start} under its metadata lock (cpLock), so two starts for one clone never race; the tasks are read
 * freely.
 */
public final class Splits {
    private static final Logger LOG = LoggerFactory.getLogger(Splits.class);

    private final SplitHost host;
    /** Written under the pool's cpLock; read freely. */
    private final ConcurrentHashMap<Long, SplitTask> tasks = new ConcurrentHashMap<>();

    public Splits(SplitHost host) {
        this.host = host;
    }

    /**
     * Starts (or resumes from its persisted cursor) the split of {@code clone}, or returns its running task; see
     * {@code Pool.splits().start} for the contract. The caller holds the pool's cpLock and checked that the clone is a vdisk.
     * {@code toFill}: COPY's count of holes still reading data ({@link #segmentsToFill}), taken by the caller before
     * it took cpLock; user writes and a running split meanwhile only lower the true number.
     *
     * @throws SplitStateException a split of the clone in the other mode is running or recorded
     * @throws OutOfSpaceException COPY: the data still read through the chain is more than the pool's available space
     */
    public SplitTask start(SplitClone clone, SplitMode mode, SplitOptions options, long toFill) {
        SplitTask t = tasks.get(clone.id());
        SplitCursor rec = clone.record();
        SplitMode recorded = t != null && t.running() ? t.mode() : rec != null ? rec.mode() : null;
        if (recorded != null && recorded != mode) {
            throw new SplitStateException("a " + recorded + " split of vdisk " + clone.name() + " is "
                    + (t != null && t.running() ? "running" : "recorded at segment " + rec.cursor())
                    + "; continue it in mode " + recorded.name().toLowerCase() + " (modes cannot be mixed)");
        }
        if (t != null && t.running()) {
            return t;
        }
        Splitter s = new Splitter(host, clone, mode);
        if (clone.map().backing() == null) {
            t = new SplitTask(
                    host,
                    s,
                    new SplitCursor(mode, SplitCursor.State.RUNNING, s.segments(), 0, 0, options, null),
                    SplitPhase.DONE);
            LOG.info("split of vdisk {}: it has no backing store; nothing to do", clone.name());
            tasks.put(clone.id(), t);
            return t;
        }
        long from = rec == null ? 0 : Math.min(rec.cursor(), s.segments());
        if (mode == SplitMode.COPY) {
            int segmentSize = host.segmentSize();
            long need = toFill;
            need += need / Math.max(1, segmentSize / 16)
                    + 2L * clone.map().tree().height();
            long avail = host.allocator().usage().available();
            if (need > avail) {
                throw new OutOfSpaceException(
                        "copy split of vdisk " + clone.name() + " (" + need
                                + " segments of data and map still come from its backing chain)",
                        avail * segmentSize,
                        need * segmentSize);
            }
        }
        rec = rec == null
                ? new SplitCursor(mode, SplitCursor.State.RUNNING, 0, 0, 0, options, null)
                : new SplitCursor(
                        mode, SplitCursor.State.RUNNING, from, rec.filled(), rec.bytesRelocated(), options, null);
        // no consistency point here: the record rides on the next one, with the first fills (step 1 of the
        // protocol); until then nothing durable has changed and a crash simply undoes the request
        clone.setRecord(rec);
        t = new SplitTask(host, s, rec, SplitPhase.SCANNING);
        tasks.put(clone.id(), t);
        t.start();
        LOG.info(
                "started {} split of vdisk {} from segment {} (rate {} B/s, idle only {})",
                mode,
                clone.name(),
                from,
                options.rateBytesPerSecond(),
                options.idleOnly());
        return t;
    }

    /**
     * COPY's space check: the holes from the clone's recorded cursor on that still read data through its chain (one
     * walk of the chain's maps, proportional to the clone). Called without the pool's cpLock, so that metadata
     * operations and consistency points do not wait for the walk; the caller holds the clone's operation lock shared,
     * which its deletion and the split's release take exclusively, so the chain stays.
     */
    public long segmentsToFill(SplitClone clone) {
        if (clone.map().backing() == null) {
            return 0;
        }
        SplitCursor rec = clone.record();
        Splitter s = new Splitter(host, clone, SplitMode.COPY);
        return s.segmentsToFill(rec == null ? 0 : Math.min(rec.cursor(), s.segments()));
    }

    /** The task of the clone with id {@code cloneId} in this process (running or finished), if any. */
    public Optional<SplitTask> task(long cloneId) {
        return Optional.ofNullable(tasks.get(cloneId));
    }

    /**
     * The progress of {@code clone}'s split: its task's, or for a split recorded but not running, the record's (phase
     * QUEUED for a RUNNING record not resumed yet, PAUSED, CANCELLED); empty if it has neither.
     */
    public Optional<SplitProgress> progress(SplitClone clone) {
        SplitTask t = tasks.get(clone.id());
        SplitCursor r = clone.record();
        if (t != null && (t.running() || r == null || t.progress().phase() != SplitPhase.QUEUED)) {
            return Optional.of(t.progress());
        }
        if (r == null) {
            return Optional.empty();
        }
        long total = clone.map().segments();
        SplitPhase ph =
                switch (r.state()) {
                    case RUNNING -> SplitPhase.QUEUED;
                    case PAUSED -> SplitPhase.PAUSED;
                    case CANCELLED -> SplitPhase.CANCELLED;
                };
        return Optional.of(new SplitProgress(
                clone.name(),
                r.mode(),
                ph,
                Math.min(r.cursor(), total),
                total,
                0,
                r.filled(),
                r.bytesRelocated(),
                -1,
                0,
                -1,
                r.error()));
    }

    /** Pool close: stops every task at a consistent point and waits (records stay RUNNING). Hold no pool lock. */
    public void stopAll() {
        for (SplitTask t : tasks.values()) {
            t.stopAndJoin();
        }
    }
}
