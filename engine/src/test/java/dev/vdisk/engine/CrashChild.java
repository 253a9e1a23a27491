package dev.vdisk.engine;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process of {@link CrashTest}: opens the pool, writes the round's deterministic sequence of blocks and prints
 * {@code FLUSHED i} after each completed flush (every write with index <= i is then durable), until killed.
 * Args: pool directory, round.
 */
public final class CrashChild {
    static final int BLOCK = 4096;
    static final int BLOCKS = 1024;

    private CrashChild() {}

    /** The block written by write {@code i} of {@code round}'s sequence. */
    static int[] sequence(int round, int n) {
        Random rnd = new Random(round * 7919L + 13);
        int[] s = new int[n];
        for (int i = 0; i < n; i++) {
            s[i] = rnd.nextInt(BLOCKS);
        }
        return s;
    }

    /** Content of write {@code i} of {@code round} to {@code block}: header words then a pattern derived from them. */
    static void content(ByteBuffer b, int round, int i, int block) {
        b.clear();
        long tag = ((long) round << 40) | ((long) i << 12) | block;
        for (int k = 0; k < BLOCK / 8; k++) {
            b.putLong(tag ^ (k * 0x9E3779B97F4A7C15L));
        }
        b.flip();
    }

    /** Decodes a block written by {@link #content}: {round, i, block}, or null if it is not one (or torn). */
    static long[] decode(ByteBuffer b, int at) {
        long tag = b.getLong(at);
        for (int k = 1; k < BLOCK / 8; k++) {
            if (b.getLong(at + k * 8) != (tag ^ (k * 0x9E3779B97F4A7C15L))) {
                return null;
            }
        }
        return new long[] {tag >>> 40, (tag >>> 12) & ((1L << 28) - 1), tag & 0xfff};
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        Pool pool = Pool.open(dir, new PoolOptions(2L << 20, 2L << 20, 30, 4L << 20, 64L << 20, 1));
        Vdisk v = pool.vdisks().get("crash");
        int n = 2_000_000;
        int[] seq = sequence(round, n);
        ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
        System.out.println("READY");
        System.out.flush();
        for (int i = 0; i < n; i++) {
            content(b, round, i, seq[i]);
            v.write((long) seq[i] * BLOCK, b);
            if (i % 50 == 49) {
                v.flush();
                System.out.println("FLUSHED " + i);
                System.out.flush();
            }
        }
        pool.close();
        System.out.println("DONE");
    }
}
