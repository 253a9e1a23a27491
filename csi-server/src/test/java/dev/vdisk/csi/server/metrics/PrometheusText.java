package dev.vdisk.csi.server.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text format 0.0.4, enough to check what we serve: every line is a comment, a
 * {@code # HELP}/{@code # TYPE} with a valid name and type, or a sample {@code name{label="value",...} value}; a
 * sample's family must have been typed before it. Throws {@link AssertionError} naming the first bad line.
 */
public final class PrometheusText {

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {}

    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final Pattern TYPE =
            Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") .*");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL =
            Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");
    private static final Set<String> SUFFIXES = Set.of("_bucket", "_count", "_sum", "_total", "_created");

    private PrometheusText() {}

    public static List<Sample> parse(String text) {
        Map<String, String> types = new LinkedHashMap<>();
        List<Sample> samples = new ArrayList<>();
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            Matcher m;
            if ((m = TYPE.matcher(line)).matches()) {
                if (types.put(m.group(1), m.group(2)) != null) {
                    throw new AssertionError("line " + n + ": second TYPE for " + m.group(1));
                }
            } else if (HELP.matcher(line).matches() || line.startsWith("# ") && !line.startsWith("# TYPE")) {
                continue;
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                String name = m.group(1);
                if (!types.containsKey(name) && !types.containsKey(family(name))) {
                    throw new AssertionError("line " + n + ": sample of an untyped family: " + line);
                }
                samples.add(new Sample(name, labels(m.group(3), n, line), value(m.group(4), n, line)));
            } else {
                throw new AssertionError("line " + n + " is not in the text format: " + line);
            }
        }
        return samples;
    }

    private static String family(String name) {
        for (String suffix : SUFFIXES) {
            if (name.endsWith(suffix)) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return name;
    }

    private static Map<String, String> labels(String body, int n, String line) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (body == null || body.isEmpty()) {
            return labels;
        }
        Matcher m = LABEL.matcher(body);
        int at = 0;
        while (at < body.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new AssertionError("line " + n + ": bad labels: " + line);
            }
            if (labels.put(m.group(1), m.group(2)) != null) {
                throw new AssertionError("line " + n + ": label " + m.group(1) + " twice: " + line);
            }
            at = m.end();
        }
        return labels;
    }

    private static double value(String v, int n, String line) {
        return switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw new AssertionError("line " + n + ": bad value: " + line);
                }
            }
        };
    }
}
