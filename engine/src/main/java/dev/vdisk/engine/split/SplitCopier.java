package dev.vdisk.engine.split;

import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.io.DataSpace;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A COPY split's data mover: copies stretches of segments inside the pool's data space in the kernel
 * ({@link DataSpace#copyRange}, {@code copy_file_range}), then starts the writeback of what it wrote at once
 * ({@link DataSpace#startWriteback}). Without that the kernel leaves the copies dirty until the background threshold
 * (10 % of memory here: gigabytes) or the next consistency point, whose fsync then stops the split while the disk
 * writes seconds' worth; with it the disk writes while the split copies, as a streaming copier's does, and a point
 * finds little left to flush. Durability is unchanged: only the point's fsync ({@link DataSpace#force}) makes the
 * copies durable, before the maps that reference them. Once written back, the copies leave the page cache
 * ({@link #dropBehind}, outside the engine's locks): a split streams the clone through at most {@link #CACHED_BYTES}
 * of cache instead of caching all of it.
 *
 * <p>The copy is CPU work in the kernel (page cache to page cache, the file system's block reservations, the
 * writeback's allocation): one thread moves about 1 GB/s here, so a stretch is cut into one part per CPU (up to
 * {@link #MAX_PARTS}) copied at once by the caller and helper threads of this copier, and {@link #copy} returns when
 * all are done. Used by one split task's thread; {@link #close} stops the helpers.
 */
final class SplitCopier implements AutoCloseable {
    /** Most parts a stretch is cut into. */
    static final int MAX_PARTS = 4;
    /** Copied bytes left in the page cache behind the copier ({@link #dropBehind}). */
    static final long CACHED_BYTES = 64L << 20;
    /** Smallest part worth a hand-off to a helper. */
    private static final long MIN_PART = 128 << 10;

    private final DataSpace data;
    private final int parts;
    private final long unit;
    private ExecutorService helpers;
    /** Copied ranges whose pages may still be cached, oldest first: {@code {to, length}}. */
    private final ArrayDeque<long[]> cached = new ArrayDeque<>();

    private long cachedBytes;

    /** {@code unit}: parts are multiples of it (a segment), so each copies whole pages. */
    SplitCopier(DataSpace data, int unit) {
        this.data = data;
        this.unit = unit;
        this.parts = Math.max(1, Math.min(MAX_PARTS, Runtime.getRuntime().availableProcessors()));
    }

    /** Copies {@code length} bytes at byte {@code from} to byte {@code to} (the ranges do not overlap). */
    void copy(long from, long to, long length) {
        copyParts(from, to, length);
        cached.add(new long[] {to, length});
        cachedBytes += length;
    }

    /**
     * Drops the copies older than the newest {@link #CACHED_BYTES} from the page cache, once written back (waits for
     * that writeback: it started when they were copied, so this paces the copier to the disk). Without it a COPY
     * grows the page cache by the whole clone, evicting the node's useful pages for copies nobody reads yet (the
     * clone's readers had the backing's pages cached, and still do until they read the new copy), and on this VM the
     * memory a growing page cache touches first costs the host's page faults: 4 GiB of copies took 4.5-11.8 s
     * that way against 2.0-2.2 s with the copies dropped behind. Not under any engine lock: it may wait for the disk.
     */
    void dropBehind() {
        while (cachedBytes > CACHED_BYTES) {
            long[] r = cached.poll();
            cachedBytes -= r[1];
            data.dropBehind(r[0], r[1]);
        }
    }

    private void copyParts(long from, long to, long length) {
        long units = length / unit;
        int n = (int) Math.min(parts, Math.min(units, length / MIN_PART));
        if (n <= 1) {
            part(from, to, length);
            return;
        }
        if (helpers == null) {
            helpers = Executors.newFixedThreadPool(
                    parts - 1,
                    Thread.ofPlatform()
                            .daemon()
                            .name(Thread.currentThread().getName() + "-copy-", 1)
                            .factory());
        }
        List<Future<?>> others = new ArrayList<>(n - 1);
        long per = units / n * unit;
        long mine = length - per * (n - 1); // the caller's part takes the remainder
        for (int i = 1; i < n; i++) {
            long off = mine + per * (i - 1);
            others.add(helpers.submit(() -> part(from + off, to + off, per)));
        }
        RuntimeException failed = null;
        try {
            part(from, to, mine);
        } catch (RuntimeException e) {
            failed = e;
        }
        boolean interrupted = false;
        for (Future<?> f : others) {
            while (true) { // until every helper is done: the caller frees the destination if the copy fails
                try {
                    f.get();
                    break;
                } catch (ExecutionException e) {
                    if (failed == null) {
                        failed = e.getCause() instanceof RuntimeException r
                                ? r
                                : new EngineIOException("copy helper failed: " + e.getCause(), e.getCause());
                    }
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failed != null) {
            throw failed;
        }
    }

    private void part(long from, long to, long length) {
        data.copyRange(from, to, length);
        data.startWriteback(to, length);
    }

    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdown();
            helpers = null;
        }
    }
}
