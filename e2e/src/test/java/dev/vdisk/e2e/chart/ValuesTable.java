package dev.vdisk.e2e.chart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The README's configuration table, generated from values.yaml: one row per {@code # key -- description} comment
 * (the helm-docs convention), with the key's default from the parsed file.
 */
final class ValuesTable {

    static final String START =
            "<!-- values-table:start (generated from charts/vdisk-csi/values.yaml by e2e ValuesTableTest) -->";
    static final String END = "<!-- values-table:end -->";
    private static final Pattern DOC = Pattern.compile("^\\s*# ([A-Za-z][A-Za-z0-9.]*) -- (.+)$");

    private ValuesTable() {}

    /** key -> description, in file order. */
    static Map<String, String> descriptions(String valuesYaml) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : valuesYaml.lines().toList()) {
            Matcher m = DOC.matcher(line);
            if (m.matches()) {
                out.put(m.group(1), m.group(2).strip());
            }
        }
        return out;
    }

    static String markdown(String valuesYaml) {
        Map<String, Object> values = values(valuesYaml);
        StringBuilder out = new StringBuilder("| key | default | description |\n|---|---|---|\n");
        for (var e : descriptions(valuesYaml).entrySet()) {
            out.append("| `")
                    .append(e.getKey())
                    .append("` | ")
                    .append(code(lookup(values, e.getKey())))
                    .append(" | ")
                    .append(e.getValue().replace("|", "\\|"))
                    .append(" |\n");
        }
        return out.toString();
    }

    /** Every leaf of values.yaml whose key path has no comment at itself or above it. */
    static List<String> undocumented(String valuesYaml) {
        List<String> out = new ArrayList<>();
        walk(values(valuesYaml), "", descriptions(valuesYaml), out);
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> values(String valuesYaml) {
        return Manifests.SERIALIZATION.unmarshal(valuesYaml, Map.class);
    }

    @SuppressWarnings("unchecked")
    static Object lookup(Map<String, Object> values, String key) {
        Object node = values;
        for (String part : key.split("\\.")) {
            if (!(node instanceof Map<?, ?> map) || !map.containsKey(part)) {
                throw new AssertionError("values.yaml documents " + key + ", which it does not have");
            }
            node = ((Map<String, Object>) map).get(part);
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    private static void walk(Map<String, Object> node, String prefix, Map<String, String> docs, List<String> out) {
        for (var e : node.entrySet()) {
            String key = prefix + e.getKey();
            if (docs.containsKey(key)) {
                continue;
            }
            if (e.getValue() instanceof Map<?, ?> child && !child.isEmpty()) {
                walk((Map<String, Object>) child, key + ".", docs, out);
            } else {
                out.add(key);
            }
        }
    }

    private static String code(Object value) {
        String text = value instanceof String s ? (s.isEmpty() ? "\"\"" : s) : Manifests.SERIALIZATION.asJson(value);
        return "`" + text.replace("|", "\\|") + "`";
    }
}
