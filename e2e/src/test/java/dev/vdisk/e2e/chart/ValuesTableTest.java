package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every value is documented with a {@code # key -- description} comment, and the README's configuration table is
 * the one {@link ValuesTable} generates from them. To rewrite the table after changing values.yaml:
 * {@code VDISK_WRITE_VALUES_TABLE=1 ./mvnw -q -B -pl e2e -am -Dtest=ValuesTableTest -Dsurefire.failIfNoSpecifiedTests=false test}.
 */
class ValuesTableTest {

    @Test
    void everyValueIsDocumented() throws IOException {
        String values = Files.readString(Helm.chart().resolve("values.yaml"));
        List<String> missing = ValuesTable.undocumented(values);
        assertTrue(missing.isEmpty(), "values without a '# key -- description' comment in values.yaml: " + missing);
        ValuesTable.descriptions(values).keySet().forEach(key -> ValuesTable.lookup(ValuesTable.values(values), key));
    }

    @Test
    void readmeTableIsGeneratedFromValuesYaml() throws IOException {
        String table = ValuesTable.markdown(Files.readString(Helm.chart().resolve("values.yaml")));
        Path readme = Helm.repoRoot().resolve("README.md");
        String text = Files.readString(readme);
        int start = text.indexOf(ValuesTable.START);
        int end = text.indexOf(ValuesTable.END);
        assertTrue(
                start >= 0 && end > start,
                "README.md has the markers " + ValuesTable.START + " and " + ValuesTable.END);
        String current = text.substring(start + ValuesTable.START.length(), end).strip() + "\n";
        if (!current.equals(table)) {
            if (System.getenv("VDISK_WRITE_VALUES_TABLE") != null) {
                Files.writeString(
                        readme,
                        text.substring(0, start + ValuesTable.START.length()) + "\n" + table + text.substring(end));
                return;
            }
            fail(
                    "README.md's configuration table is not the one values.yaml gives; rerun with VDISK_WRITE_VALUES_TABLE=1"
                            + " (see ValuesTableTest) and commit. Expected:\n" + table);
        }
        assertEquals(table, current);
    }
}
