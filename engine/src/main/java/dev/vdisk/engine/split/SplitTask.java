package dev.vdisk.engine.split;

import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.error.PoolClosedException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running (or finished) split of one clone, handed out by {@code Pool.splits().start} ({@link Splits#start}). The work
 * runs on one platform daemon thread per task ({@code vdisk-split-NAME}), owned by the pool: it does blocking positional I/O and holds engine
 * locks for short moments, and a pool has few concurrent splits; {@code Pool.close()} stops it at a consistent point
 * (the record stays RUNNING, so {@code Pool.splits().resume()} continues it after the next open). Thread-safe.
 *
 * <p>The loop: take the next candidate segment from the cursor, wait for idleness (idle-only), fill a run of holes
 * from it ({@link Splitter#fillRun}), advance the cursor in the clone's split record, pay the rate limit for the
 * bytes filled, and take a consistency point every checkpoint interval so the cursor is durable; at the end,
 * release the backing.
 */
public final class SplitTask {
    private static final Logger LOG = LoggerFactory.getLogger(SplitTask.class);

    /** Bytes a COPY run moves at once: large I/O, and about one destage's worth of holding destageLock. */
    static final int COPY_RUN_BYTES = 1 << 20;
    /**
     * Entries a SHARE run fills at once: a whole level-1 block with 64 KiB segments (about 80 us of the clone's map
     * write lock warm, 1 ms in a fresh JVM; 16 runs for a 4 GiB clone, where runs of 512 took 2-3x longer).
     */
    static final int SHARE_RUN_SEGMENTS = 4096;

    private final SplitHost host;
    private final Splitter splitter;
    private final SplitClone clone;
    private final SplitOptions options;
    private final int segmentSize;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile SplitPhase phase;
    private volatile SplitCursor record;
    private volatile long total;
    /** {@link SplitProgress#bytesToRelocate}: counted by the task's thread before its first fill; -1 until then. */
    private volatile long toRelocate = -1;

    private volatile long visited;
    private volatile String error;
    private volatile boolean cancelRequested;
    private volatile boolean stopRequested;
    private final long startCursor;
    private final long startBytes;
    private volatile long startNanos = System.nanoTime();
    private volatile long endNanos;
    private volatile SplitTimes times = SplitTimes.NONE;
    private Thread thread;

    SplitTask(SplitHost host, Splitter splitter, SplitCursor record, SplitPhase phase) {
        this.host = host;
        this.splitter = splitter;
        this.clone = splitter.target();
        this.options = record.options();
        this.segmentSize = host.segmentSize();
        this.record = record;
        this.phase = phase;
        this.total = splitter.segments();
        this.startCursor = record.cursor();
        this.startBytes = record.bytesRelocated();
        this.error = record.error();
        if (phase != SplitPhase.QUEUED && phase != SplitPhase.SCANNING) {
            endNanos = startNanos;
            finished.countDown();
        }
    }

    public String vdiskName() {
        return clone.name();
    }

    public SplitMode mode() {
        return splitter.mode();
    }

    /** The progress now. */
    public SplitProgress progress() {
        SplitCursor r = record;
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        double secs = Math.max(1e-9, (end - startNanos) / 1e9);
        double bps = (r.bytesRelocated() - startBytes) / secs;
        double segsPerSec = (r.cursor() - startCursor) / secs;
        long eta;
        if (phase == SplitPhase.DONE) {
            eta = 0;
        } else if (toRelocate >= 0) {
            // the bytes left at the rate bytes move: the cursor crosses empty stretches fast and data slowly
            eta = bps > 0 ? (long) Math.ceil(Math.max(0, toRelocate - r.bytesRelocated()) / bps) : -1;
        } else {
            eta = segsPerSec > 0 ? (long) Math.ceil(Math.max(0, total - r.cursor()) / segsPerSec) : -1;
        }
        return new SplitProgress(
                clone.name(),
                splitter.mode(),
                phase,
                Math.min(r.cursor(), total),
                total,
                visited,
                r.filled(),
                r.bytesRelocated(),
                toRelocate,
                bps,
                eta,
                error);
    }

    /** Where the task's time went; complete once it finished (the last run of this process only). */
    public SplitTimes times() {
        return times;
    }

    /** Asks the task to stop after the current segment, at a consistent point; resumable by another split call. */
    public void cancel() {
        cancelRequested = true;
    }

    /** Waits up to {@code timeout} for the task to finish and returns its progress (finished or not). */
    public SplitProgress await(Duration timeout) {
        try {
            finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return progress();
    }

    /** True while the thread runs (or is about to). */
    public boolean running() {
        return finished.getCount() > 0;
    }

    void start() {
        thread =
                Thread.ofPlatform().daemon().name("vdisk-split-" + clone.name()).start(this::run);
    }

    /** Pool close: stop at a consistent point and wait; the record stays RUNNING. */
    void stopAndJoin() {
        stopRequested = true;
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean stopping() {
        return cancelRequested || stopRequested;
    }

    private void run() {
        String name = clone.name();
        try {
            Throttle throttle = new Throttle(options, segmentSize, host::foregroundOps, this::stopping);
            long interval = Math.max(10, host.checkpointIntervalMillis()) * 1_000_000L;
            long lastPoint = System.nanoTime();
            boolean freedOnce = false;
            int releases = 0;
            long scan = 0;
            long fill = 0;
            long points = 0;
            int pointCount = 0;
            long release = 0;
            long waited = 0;
            // what is left to relocate, counted once (one walk of the chain's maps, as the start's space check):
            // holes filled by user writes meanwhile only make the split end below 100 % before DONE
            toRelocate = record.bytesRelocated() + splitter.segmentsToFill(record.cursor()) * segmentSize;
            startNanos = System.nanoTime();
            phase = SplitPhase.FILLING;
            LOG.info(
                    "split of vdisk {} ({}) running from segment {} of {}, {} bytes to relocate",
                    name,
                    splitter.mode(),
                    record.cursor(),
                    total,
                    toRelocate - record.bytesRelocated());
            while (true) {
                if (clone.isDeleted()) {
                    finish(SplitPhase.CANCELLED, "vdisk " + name + " was deleted during the split");
                    return;
                }
                if (stopRequested) {
                    phase = SplitPhase.QUEUED;
                    LOG.info(
                            "split of vdisk {} stopped at segment {} (pool closing; resumes after the next open)",
                            name,
                            record.cursor());
                    return;
                }
                if (cancelRequested) {
                    persist(record.in(SplitCursor.State.CANCELLED, null), "cancel");
                    finish(SplitPhase.CANCELLED, null);
                    LOG.info("split of vdisk {} cancelled at segment {}", name, record.cursor());
                    return;
                }
                long t0 = System.nanoTime();
                long seg = splitter.nextCandidate(record.cursor());
                long t1 = System.nanoTime();
                scan += t1 - t0;
                if (seg < 0) {
                    phase = SplitPhase.RELEASING;
                    long hole = host.release(clone, splitter::firstHoleReadingData);
                    release += System.nanoTime() - t1;
                    times = new SplitTimes(
                            scan, fill, splitter.copyNanos(), splitter.copies(), points, pointCount, release, waited);
                    if (hole < 0) {
                        record = record.at(total, record.filled(), record.bytesRelocated());
                        finish(SplitPhase.DONE, null);
                        LOG.info(
                                "split of vdisk {} done: {} segments filled, {} bytes; {}",
                                name,
                                record.filled(),
                                record.bytesRelocated(),
                                times);
                        return;
                    }
                    if (++releases > 3) {
                        throw new IllegalStateException(
                                "segment " + hole + " still reads the backing after " + releases + " passes");
                    }
                    setCursor(hole);
                    phase = SplitPhase.FILLING;
                    continue;
                }
                throttle.awaitIdle();
                long t2 = System.nanoTime();
                waited += t2 - t1;
                if (stopping()) {
                    continue;
                }
                Splitter.Run run;
                try {
                    run = splitter.fillRun(seg, runSegments(throttle));
                    splitter.dropBehind();
                    fill += System.nanoTime() - t2;
                } catch (OutOfSpaceException e) {
                    if (!freedOnce && host.checkpointToFreeSpace()) {
                        freedOnce = true;
                        continue;
                    }
                    persist(record.in(SplitCursor.State.PAUSED, e.getMessage()), "pause");
                    finish(SplitPhase.PAUSED, e.getMessage());
                    LOG.warn("split of vdisk {} paused at segment {}: {}", name, seg, e.getMessage());
                    return;
                }
                freedOnce = false;
                visited += run.visited();
                long bytes = (long) run.data() * segmentSize;
                record = record.at(run.next(), record.filled() + run.filled(), record.bytesRelocated() + bytes);
                clone.setRecord(record);
                if (bytes > 0) {
                    long t3 = System.nanoTime();
                    throttle.acquire(bytes);
                    waited += System.nanoTime() - t3;
                }
                if (System.nanoTime() - lastPoint > interval) {
                    long t4 = System.nanoTime();
                    host.checkpoint("split " + name);
                    lastPoint = System.nanoTime();
                    points += lastPoint - t4;
                    pointCount++;
                }
            }
        } catch (PoolClosedException e) {
            phase = SplitPhase.QUEUED;
            LOG.info("split of vdisk {} stopped: the pool closed", name);
        } catch (RuntimeException e) {
            error = e.toString();
            phase = SplitPhase.FAILED;
            LOG.error("split of vdisk {} failed at segment {}: {}", name, record.cursor(), e.toString(), e);
        } finally {
            splitter.close();
            if (endNanos == 0) {
                endNanos = System.nanoTime();
            }
            finished.countDown();
        }
    }

    /**
     * Candidates per {@link Splitter#fillRun}: COPY moves up to {@link #COPY_RUN_BYTES} at once, SHARE fills up to
     * {@link #SHARE_RUN_SEGMENTS} entries (which bounds how long the clone's map is write-locked), and a rate-limited
     * split no more than the throttle's burst, so that its pace stays smooth.
     */
    private int runSegments(Throttle throttle) {
        long n = splitter.mode() == SplitMode.COPY ? COPY_RUN_BYTES / segmentSize : SHARE_RUN_SEGMENTS;
        return (int) Math.max(1, Math.min(n, throttle.burstBytes() / segmentSize));
    }

    private void setCursor(long c) {
        record = record.at(c, record.filled(), record.bytesRelocated());
        clone.setRecord(record);
    }

    private void persist(SplitCursor r, String why) {
        record = r;
        clone.setRecord(r);
        host.checkpoint("split " + clone.name() + " " + why);
    }

    private void finish(SplitPhase p, String why) {
        error = why;
        endNanos = System.nanoTime();
        phase = p;
    }
}
