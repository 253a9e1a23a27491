package dev.vdisk.engine.format;

/**
 * One 16-byte map entry, kept in memory as two longs ({@code word0}, {@code word1}).
 *
 * <pre>
 * bytes 0..7   word0: bits 0..47 vbn, bits 48..63 state flags (FLAG_ZERO)
 * bytes 8..15  word1: bits 32..63 CRC32C of the child indirect block (0 for data), bits 0..31 birth epoch
 * </pre>
 *
 * States: <b>hole</b> ({@code word0 == 0}: look at the backing store, zeros at the end of the chain), <b>zero</b>
 * ({@link #FLAG_ZERO}, vbn 0: reads zeros without looking at the backing store), <b>mapped</b> (vbn != 0).
 * Little-endian on disk. Authoritative (part of the indirect blocks and the catalog).
 */
public final class MapEntry {
    public static final int BYTES = 16;
    public static final long VBN_MASK = (1L << 48) - 1;
    public static final long FLAG_ZERO = 1L << 48;
    public static final long HOLE = 0L;
    public static final long ZERO = FLAG_ZERO;

    private MapEntry() {}

    public static long vbn(long word0) {
        return word0 & VBN_MASK;
    }

    public static boolean isHole(long word0) {
        return word0 == 0;
    }

    public static boolean isZero(long word0) {
        return (word0 & FLAG_ZERO) != 0 && vbn(word0) == 0;
    }

    public static boolean isMapped(long word0) {
        return vbn(word0) != 0;
    }

    public static long mapped(long vbn) {
        return vbn & VBN_MASK;
    }

    public static int crc(long word1) {
        return (int) (word1 >>> 32);
    }

    public static int birth(long word1) {
        return (int) word1;
    }

    public static long word1(int crc, int birth) {
        return ((long) crc << 32) | (birth & 0xffffffffL);
    }

    public static String describe(long word0) {
        if (isHole(word0)) {
            return "hole";
        }
        if (isZero(word0)) {
            return "zero";
        }
        return "vbn " + vbn(word0);
    }
}
