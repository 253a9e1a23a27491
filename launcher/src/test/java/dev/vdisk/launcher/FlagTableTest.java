package dev.vdisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's flag table is the one {@link FlagTable} generates from the launcher's picocli options. To rewrite it
 * after changing a flag: {@code VDISK_WRITE_FLAG_TABLE=1 ./mvnw -q -B -o -pl launcher test -Dtest=FlagTableTest}.
 */
class FlagTableTest {

    /** The repository's README, from the launcher module's directory (where surefire runs). */
    private static final Path README = Path.of("..", "README.md");

    @Test
    void readmeTableIsGeneratedFromTheOptions() throws IOException {
        String table = FlagTable.markdown(LaunchCommandLine.create());
        String text = Files.readString(README);
        int start = text.indexOf(FlagTable.START);
        int end = text.indexOf(FlagTable.END);
        assertTrue(start >= 0 && end > start, "README.md has the markers " + FlagTable.START + " and " + FlagTable.END);
        String current = text.substring(start + FlagTable.START.length(), end).strip() + "\n";
        if (!current.equals(table)) {
            if (System.getenv("VDISK_WRITE_FLAG_TABLE") != null) {
                Files.writeString(
                        README,
                        text.substring(0, start + FlagTable.START.length()) + "\n" + table + text.substring(end));
                return;
            }
            fail(
                    "README.md's flag table is not the one the launcher's options give; rerun with VDISK_WRITE_FLAG_TABLE=1"
                            + " (see FlagTableTest) and commit. Expected:\n" + table);
        }
        assertEquals(table, current);
    }

    @Test
    void everyFlagOfEveryModeIsARowWithItsModes() {
        List<FlagTable.Flag> flags = FlagTable.flags(LaunchCommandLine.create());
        assertEquals(
                31,
                flags.size(),
                flags.stream().map(FlagTable.Flag::name).toList().toString());
        FlagTable.Flag pool = flags.stream()
                .filter(f -> f.name().equals("--pool"))
                .findFirst()
                .orElseThrow();
        assertEquals(List.of("node", "standalone"), pool.modes());
        assertEquals("/var/lib/vdisk", pool.defaultValue());
        FlagTable.Flag holder = flags.stream()
                .filter(f -> f.name().equals("--fd-holder"))
                .findFirst()
                .orElseThrow();
        assertEquals(List.of("node", "standalone"), holder.modes());
        assertTrue(flags.stream().allMatch(f -> !f.meaning().isBlank()), "every flag says what it does");
    }
}
