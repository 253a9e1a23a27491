package dev.vdisk.cli;

import java.math.BigDecimal;
import java.util.Locale;

/** Human sizes: {@code 4096}, {@code 512K}, {@code 64KiB}, {@code 1.5G}, {@code 1T} (all binary: K = 1024). */
final class Sizes {
    private static final String[] UNITS = {"", "K", "M", "G", "T", "P"};

    private Sizes() {}

    static long parse(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("IB")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("B") && t.length() > 1 && Character.isLetter(t.charAt(t.length() - 2))) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("B")) {
            t = t.substring(0, t.length() - 1);
        }
        int shift = 0;
        if (!t.isEmpty() && Character.isLetter(t.charAt(t.length() - 1))) {
            int u = "KMGTP".indexOf(t.charAt(t.length() - 1));
            if (u < 0) {
                throw new IllegalArgumentException("unknown size unit in '" + s + "'; use K, M, G, T or P (binary)");
            }
            shift = 10 * (u + 1);
            t = t.substring(0, t.length() - 1);
        }
        try {
            BigDecimal v = new BigDecimal(t).multiply(BigDecimal.valueOf(2).pow(shift));
            if (v.signum() < 0) {
                throw new IllegalArgumentException("size '" + s + "' is negative");
            }
            return v.setScale(0, java.math.RoundingMode.UNNECESSARY).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a size; write e.g. 4096, 512K, 64KiB, 1.5G, 1T");
        }
    }

    static String format(long bytes) {
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        if (u == 0) {
            return bytes + "B";
        }
        return (v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v))
                + UNITS[u] + "iB";
    }
}
