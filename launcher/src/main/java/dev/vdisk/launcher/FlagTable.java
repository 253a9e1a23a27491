package dev.vdisk.launcher;

import dev.vdisk.launcher.ModeCommands.ModeCommand;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every flag of every mode, from the picocli model: as text in {@code vdisk-csi --help}, and as the README's markdown
 * table (checked by {@code FlagTableTest}, rewritten with {@code VDISK_WRITE_FLAG_TABLE=1}).
 *
 * @see LaunchCommandLine
 */
final class FlagTable {

    static final String START =
            "<!-- flag-table:start (generated from the launcher's picocli options by FlagTableTest) -->";
    static final String END = "<!-- flag-table:end -->";

    private FlagTable() {}

    /**
     * A flag, the modes that take it, its default (empty: none or computed, said in the meaning), what it does
     * (picocli's description, a format string: {@code %%} is one percent sign).
     */
    record Flag(String name, String paramLabel, List<String> modes, String defaultValue, String meaning) {
        String usage() {
            return paramLabel.isEmpty() ? name : name + " " + paramLabel;
        }
    }

    /** The modes, in the order of the model. */
    static List<String> modes(CommandLine root) {
        return root.getSubcommands().values().stream()
                .filter(c -> c.getCommandSpec().userObject() instanceof ModeCommand)
                .map(CommandLine::getCommandName)
                .toList();
    }

    /** The modes that take {@code flag}; empty for none. */
    static List<String> modesOf(CommandLine root, String flag) {
        return flags(root).stream()
                .filter(f -> f.name().equals(flag))
                .findFirst()
                .map(Flag::modes)
                .orElse(List.of());
    }

    /** "node and standalone", "controller, node and standalone". */
    static String modeList(List<String> modes) {
        return modes.size() == 1
                ? modes.getFirst()
                : String.join(", ", modes.subList(0, modes.size() - 1)) + " and " + modes.getLast();
    }

    /** Every flag but --help and --version, in the order of the first mode that has it. */
    static List<Flag> flags(CommandLine root) {
        Map<String, Flag> byName = new LinkedHashMap<>();
        for (String mode : modes(root)) {
            for (OptionSpec o : root.getSubcommands().get(mode).getCommandSpec().options()) {
                if (o.usageHelp() || o.versionHelp()) {
                    continue;
                }
                Flag known = byName.get(o.longestName());
                List<String> modes = new ArrayList<>(known == null ? List.of() : known.modes());
                modes.add(mode);
                byName.put(
                        o.longestName(),
                        new Flag(
                                o.longestName(),
                                o.typeInfo().isBoolean() ? "" : o.paramLabel(),
                                List.copyOf(modes),
                                o.defaultValue() == null ? "" : o.defaultValue(),
                                String.join(" ", o.description()).replace("%%", "%")));
            }
        }
        List<Flag> sorted = new ArrayList<>(byName.values());
        sorted.sort((a, b) -> Integer.compare(order(root, a), order(root, b)));
        return sorted;
    }

    private static int order(CommandLine root, Flag f) {
        return root.getSubcommands()
                .get(f.modes().getFirst())
                .getCommandSpec()
                .findOption(f.name())
                .order();
    }

    /** The README's table. */
    static String markdown(CommandLine root) {
        StringBuilder b = new StringBuilder("| flag | modes | default | meaning |\n|---|---|---|---|\n");
        for (Flag f : flags(root)) {
            b.append("| `")
                    .append(cell(f.usage()))
                    .append("` | ")
                    .append(String.join(", ", f.modes()))
                    .append(" | ")
                    .append(f.defaultValue().isEmpty() ? "" : "`" + cell(f.defaultValue()) + "`")
                    .append(" | ")
                    .append(prose(f.meaning()))
                    .append(" |\n");
        }
        return b.toString();
    }

    /** The "Flags" section of {@code vdisk-csi --help}. */
    static String text(CommandLine root) {
        StringBuilder b = new StringBuilder("\nFlags (modes that take them):\n");
        for (Flag f : flags(root)) {
            b.append("  ")
                    .append(f.usage())
                    .append("  (")
                    .append(String.join(", ", f.modes()))
                    .append(")\n");
            String meaning = f.meaning() + (f.defaultValue().isEmpty() ? "" : " (default " + f.defaultValue() + ")");
            wrap(meaning, 94).forEach(line -> b.append("      ").append(line).append('\n'));
        }
        return b.toString();
    }

    /** A pipe would end the cell. */
    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    /** Outside code, a {@code <NAME>} would be taken for an HTML tag. */
    private static String prose(String text) {
        return cell(text).replace("<", "&lt;").replace(">", "&gt;");
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (!line.isEmpty() && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.isEmpty() ? "" : " ").append(word);
        }
        lines.add(line.toString());
        return lines;
    }
}
