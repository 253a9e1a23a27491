package dev.vdisk.kube.split;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte counts and rates for people, in binary units: {@code 1.5 GiB}, {@code 200MiB/s}. */
public final class ByteUnits {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(i?B?)(?:/s)?",
            Pattern.CASE_INSENSITIVE);

    private ByteUnits() {
    }

    public static String format(long bytes) {
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, UNITS[u]);
    }

    /**
     * A rate such as {@code 200MiB/s}, {@code 200M}, {@code 1.5GiB/s} or {@code 1048576} (bytes per second; K, M,
     * G, T are binary, as the rest of vdisk-csi).
     *
     * @throws IllegalArgumentException with what to write instead
     */
    public static long parseRate(String text) {
        Matcher m = RATE.matcher(text.trim());
        if (!m.matches() || (m.group(2).isEmpty() && m.group(3).equalsIgnoreCase("i"))) {
            throw new IllegalArgumentException("'" + text + "' is not a rate; write e.g. 200MiB/s, 1GiB/s or 1048576");
        }
        int shift = 10 * "KMGT".indexOf(Character.toUpperCase(m.group(2).isEmpty() ? ' ' : m.group(2).charAt(0)))
                + 10;
        if (m.group(2).isEmpty()) {
            shift = 0;
        }
        try {
            return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift))
                    .setScale(0, RoundingMode.DOWN).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large a rate");
        }
    }
}
