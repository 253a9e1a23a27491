package dev.vdisk.engine;

import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitTask;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Child process of {@link SplitCrashTest}: opens the pool, resumes recorded splits ({@code RESUMED name cursor}),
 * starts the splits of clones {@code cs} (SHARE) and {@code cc} (COPY) that are not running yet, rate-limited so
 * that they span several rounds, and meanwhile writes the round's {@link CrashChild} sequence (mapped by {@link #blockOf}) alternately to
 * {@code cs} (even writes) and {@code cc} (odd writes), printing {@code FLUSHED i} after each flush, until killed.
 * Args: pool directory, round.
 */
public final class SplitCrashChild {
    static final long RATE = 512L << 10;

    private SplitCrashChild() {}

    /** The block write {@code i} of the sequence goes to: every 8th block, so most holes stay for the splitter. */
    static int blockOf(int[] seq, int i) {
        return (seq[i] * 8) % CrashChild.BLOCKS;
    }

    static String cloneOf(int i) {
        return i % 2 == 0 ? "cs" : "cc";
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        Pool pool = Pool.open(dir, new PoolOptions(2L << 20, 2L << 20, 30, 4L << 20, 64L << 20, 1));
        for (SplitTask t : pool.splits().resume()) {
            System.out.println("RESUMED " + t.vdiskName() + " " + t.progress().segmentsScanned());
        }
        pool.splits().start("cs", SplitMode.SHARE, SplitOptions.defaults().withRate(RATE));
        pool.splits().start("cc", SplitMode.COPY, SplitOptions.defaults().withRate(RATE));
        int n = 2_000_000;
        int[] seq = CrashChild.sequence(round, n);
        ByteBuffer b = ByteBuffer.allocateDirect(CrashChild.BLOCK);
        Vdisk cs = pool.vdisks().get("cs");
        Vdisk cc = pool.vdisks().get("cc");
        System.out.println("READY");
        System.out.flush();
        for (int i = 0; i < n; i++) {
            int blk = blockOf(seq, i);
            CrashChild.content(b, round, i, blk);
            (i % 2 == 0 ? cs : cc).write((long) blk * CrashChild.BLOCK, b);
            if (i % 50 == 49) {
                cs.flush();
                System.out.println("FLUSHED " + i);
                System.out.flush();
            }
            if (i % 4 == 3) {
                try {
                    Thread.sleep(1); // leave the splitter room; the kill lands anywhere in its work
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
        pool.close();
    }
}
