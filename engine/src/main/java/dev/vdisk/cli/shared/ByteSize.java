package dev.vdisk.cli.shared;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A count of bytes as people write and read it. One syntax everywhere a size or a rate is given (flags of the three
 * programs, the split annotations): a number, optionally with a fraction, then optionally a binary unit {@code K M G
 * T P} (K = 1024) followed by an optional {@code i} and an optional {@code B}, case-insensitive, with or without a
 * space: {@code 4096}, {@code 512K}, {@code 64KiB}, {@code 1.5G}, {@code 100 MiB}, {@code 2t}. A fraction must come
 * to whole bytes ({@code 0.5K} yes, {@code 0.3} no). Rates add {@code /s}: {@code 200MiB/s}.
 *
 * @param bytes zero or more
 */
public record ByteSize(long bytes) {

    private static final String UNITS = "KMGTP";
    private static final String[] SUFFIXES = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    private static final Pattern SYNTAX =
            Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:([KMGTP])(i)?)?(B)?", Pattern.CASE_INSENSITIVE);
    private static final String EXAMPLES = "4096, 512K, 64KiB, 1.5G or 1T";

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a size cannot be negative: " + bytes);
        }
    }

    /**
     * A size in the syntax above.
     *
     * @throws IllegalArgumentException naming the text and what to write instead
     */
    public static ByteSize parse(String text) {
        Matcher m = SYNTAX.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a size; write e.g. " + EXAMPLES + " (binary units)");
        }
        int shift = m.group(2) == null ? 0 : 10 * (UNITS.indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 1);
        try {
            return new ByteSize(new BigDecimal(m.group(1))
                    .multiply(BigDecimal.valueOf(2).pow(shift))
                    .setScale(0, RoundingMode.UNNECESSARY)
                    .longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a whole number of bytes below 8 EiB; write e.g. " + EXAMPLES);
        }
    }

    /** A rate in bytes per second: a size with an optional {@code /s}, e.g. {@code 200MiB/s}. */
    public static ByteSize parsePerSecond(String text) {
        String t = text.strip();
        try {
            return parse(t.endsWith("/s") ? t.substring(0, t.length() - 2) : t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a rate; write e.g. 200MiB/s, 1GiB/s or 1048576");
        }
    }

    /** The shortest exact-looking form, parseable again: {@code 512B}, {@code 64KiB}, {@code 1.5GiB} (bin/vdisk). */
    @Override
    public String toString() {
        Scaled s = scaled();
        if (s.unit() == 0) {
            return bytes + "B";
        }
        return (s.value() == Math.rint(s.value())
                        ? String.format(Locale.ROOT, "%.0f", s.value())
                        : String.format(Locale.ROOT, "%.1f", s.value()))
                + SUFFIXES[s.unit()];
    }

    /**
     * Always one decimal and a space, so that columns and changing numbers keep their width: {@code 512 B},
     * {@code 1.0 KiB}, {@code 10.0 GiB} (kubectl vdisk, the split events).
     */
    public String toFixedString() {
        Scaled s = scaled();
        return s.unit() == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", s.value(), SUFFIXES[s.unit()]);
    }

    private Scaled scaled() {
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < SUFFIXES.length - 1) {
            v /= 1024;
            u++;
        }
        return new Scaled(v, u);
    }

    private record Scaled(double value, int unit) {}

    /** For picocli: {@code @Option(converter = ByteSize.Converter.class)}, or registered for the type. */
    public static final class Converter implements ITypeConverter<ByteSize> {
        @Override
        public ByteSize convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** For picocli: a rate flag such as {@code --rate 200MiB/s}. */
    public static final class RateConverter implements ITypeConverter<ByteSize> {
        @Override
        public ByteSize convert(String value) {
            try {
                return parsePerSecond(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
