package dev.vdisk.engine;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * Child process of {@link SnapshotCrashTest}: writes {@link CrashChild}'s sequence to vdisk "crash" and, every
 * {@link #EVERY} writes, takes a snapshot (printing {@code SNAP name i} once it returned: it holds writes 0..i),
 * clones every second one and writes {@link #CLONE_BLOCKS} tagged blocks to the clone ({@code CLONE name snap} after
 * the flush), and deletes the oldest snapshot or clone beyond a few ({@code DELETING name} before, {@code DELETED name}
 * once it returned); prints
 * {@code FLUSHED i} after each flush. Args: pool directory, round.
 */
public final class SnapshotCrashChild {
    static final int EVERY = 150;
    static final int CLONE_BLOCKS = 3;
    /** Write index used for clone blocks (distinct from the sequence's). */
    static final int CLONE_TAG = 1 << 26;

    private SnapshotCrashChild() {}

    static int cloneBlock(int n, int k) {
        return (n * 37 + k * 101) % CrashChild.BLOCKS;
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        Pool pool = Pool.open(dir, new PoolOptions(2L << 20, 2L << 20, 30, 4L << 20, 64L << 20, 1));
        Vdisk v = pool.vdisks().get("crash");
        int n = 2_000_000;
        int[] seq = CrashChild.sequence(round, n);
        ByteBuffer b = ByteBuffer.allocateDirect(CrashChild.BLOCK);
        ArrayDeque<String> snaps = new ArrayDeque<>();
        ArrayDeque<String> clones = new ArrayDeque<>();
        System.out.println("READY");
        System.out.flush();
        int taken = 0;
        for (int i = 0; i < n; i++) {
            CrashChild.content(b, round, i, seq[i]);
            v.write((long) seq[i] * CrashChild.BLOCK, b);
            if (i % 50 == 49) {
                v.flush();
                System.out.println("FLUSHED " + i);
            }
            if (i % EVERY == EVERY - 1) {
                String s = "r" + round + "s" + taken;
                pool.snapshots().take("crash", s);
                System.out.println("SNAP " + s + " " + i);
                snaps.add(s);
                if (taken % 2 == 0) {
                    String c = "r" + round + "c" + taken;
                    pool.snapshots().clone(s, c);
                    Vdisk cv = pool.vdisks().get(c);
                    for (int k = 0; k < CLONE_BLOCKS; k++) {
                        int blk = cloneBlock(taken, k);
                        CrashChild.content(b, round, CLONE_TAG + taken, blk);
                        cv.write((long) blk * CrashChild.BLOCK, b);
                    }
                    cv.flush();
                    System.out.println("CLONE " + c + " " + s + " " + taken);
                    clones.add(c);
                }
                if (snaps.size() > 3) {
                    String old = snaps.poll(); // may back a clone: becomes hidden
                    System.out.println("DELETING " + old);
                    System.out.flush();
                    pool.vdisks().delete(old);
                    System.out.println("DELETED " + old);
                }
                if (clones.size() > 2) {
                    String old = clones.poll();
                    System.out.println("DELETING " + old);
                    System.out.flush();
                    pool.vdisks().delete(old);
                    System.out.println("DELETED " + old);
                }
                taken++;
            }
            System.out.flush();
        }
        pool.close();
    }
}
