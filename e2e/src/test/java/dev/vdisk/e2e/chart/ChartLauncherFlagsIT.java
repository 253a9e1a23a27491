package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every flag the chart gives the driver is one {@code bin/vdisk-csi --help} documents (the launcher refuses unknown
 * flags with exit 2, which in a cluster is a crash loop), and each pod runs the mode its part needs. An IT: it runs
 * the packaged launcher.
 */
class ChartLauncherFlagsIT {

    private static final Pattern FLAG = Pattern.compile("(?m)^\\s+(--[a-z][a-z-]*)");
    /** A usage line ({@code vdisk-csi fd-holder --socket PATH ...}): a mode with its own flags lists them there. */
    private static final Pattern USAGE = Pattern.compile("(?m)^(?:Usage:)?\\s+vdisk-csi [a-z-]+ .*$");

    private static final Pattern ANY_FLAG = Pattern.compile("--[a-z][a-z-]*");

    @Test
    void chartPassesOnlyFlagsTheLauncherKnows() throws IOException, InterruptedException {
        Set<String> known = documentedFlags();
        assertTrue(known.contains("--endpoint"), "the help lists flags: " + known);
        Manifests chart = Helm.find()
                .render(
                        "-f",
                        Helm.chart().resolve("ci/all-features-values.yaml").toString());
        Container controller = ChartWorkloadsTest.container(
                chart.one(Deployment.class, "vdisk-csi-controller")
                        .getSpec()
                        .getTemplate()
                        .getSpec(),
                "vdisk-csi");
        Container node = ChartWorkloadsTest.container(
                chart.one(DaemonSet.class, "vdisk-csi-node")
                        .getSpec()
                        .getTemplate()
                        .getSpec(),
                "vdisk-csi");
        Container holder = ChartWorkloadsTest.container(
                chart.one(DaemonSet.class, "vdisk-csi-fd-holder")
                        .getSpec()
                        .getTemplate()
                        .getSpec(),
                "fd-holder");
        assertEquals("controller", controller.getArgs().getFirst());
        assertEquals("node", node.getArgs().getFirst());
        assertEquals("fd-holder", holder.getArgs().getFirst());
        assertTrue(known.contains("--fd-holder") && known.contains("--socket"), "the help lists the holder's flags");
        Set<String> unknown = new TreeSet<>();
        for (Container driver : List.of(controller, node, holder)) {
            for (String arg : driver.getArgs().subList(1, driver.getArgs().size())) {
                String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
                if (!known.contains(flag)) {
                    unknown.add(driver.getArgs().getFirst() + " " + flag);
                }
            }
        }
        assertTrue(unknown.isEmpty(), "the chart passes flags bin/vdisk-csi --help does not list: " + unknown);
    }

    private static Set<String> documentedFlags() throws IOException, InterruptedException {
        Path out = Files.createTempFile("vdisk-help", ".txt");
        try {
            Process p = new ProcessBuilder(
                            Helm.repoRoot().resolve("bin/vdisk-csi").toString(), "--help")
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bin/vdisk-csi --help finished");
            String help = Files.readString(out, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), help);
            Set<String> flags = new TreeSet<>();
            Matcher m = FLAG.matcher(help);
            while (m.find()) {
                flags.add(m.group(1));
            }
            Matcher usage = USAGE.matcher(help);
            while (usage.find()) {
                Matcher f = ANY_FLAG.matcher(usage.group());
                while (f.find()) {
                    flags.add(f.group());
                }
            }
            return flags;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
