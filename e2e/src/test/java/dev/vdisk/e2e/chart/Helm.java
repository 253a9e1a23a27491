package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The helm binary that {@code charts/tools/fetch-helm} puts in its cache ({@code $VDISK_HELM} overrides), run on the
 * repository's chart: rendered, or installed on a test cluster. A helm that cannot be fetched fails the test that
 * needs it, naming the script: never a skip.
 */
public final class Helm {

    /** The release and namespace every rendering uses; the release name makes the resource names {@code vdisk-csi-*}. */
    public static final String RELEASE = "vdisk-csi";

    public static final String NAMESPACE = "vdisk-system";

    private final Path binary;

    private Helm(Path binary) {
        this.binary = binary;
    }

    static Path repoRoot() {
        String root = System.getProperty("vdisk.repo.root");
        Path path = root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
        path = path.toAbsolutePath().normalize();
        if (!Files.isRegularFile(path.resolve("charts/vdisk-csi/Chart.yaml"))) {
            fail("no charts/vdisk-csi/Chart.yaml under " + path + " (vdisk.repo.root=" + root + ")");
        }
        return path;
    }

    static Path chart() {
        return repoRoot().resolve("charts/vdisk-csi");
    }

    /**
     * The helm of {@code $VDISK_HELM}, else of the cache, which {@code charts/tools/fetch-helm} fills when it is empty
     * (so that {@code ./mvnw -B verify} needs nothing done before it; the script needs npm and unzip).
     */
    public static synchronized Helm find() {
        String override = System.getenv("VDISK_HELM");
        Path path;
        if (override != null && !override.isBlank()) {
            path = Path.of(override);
        } else {
            path = cacheDir().resolve("bin/helm");
            if (!Files.isExecutable(path)) {
                fetch();
            }
        }
        if (!Files.isExecutable(path)) {
            fail("helm is not at " + path + ": run charts/tools/fetch-helm (it fetches helm into its cache and prints"
                    + " the path; .ci/run does it), or set VDISK_HELM to a helm v3.18+/v4 binary");
        }
        return new Helm(path);
    }

    /** Runs charts/tools/fetch-helm, failing the test with its message when it cannot fetch. */
    private static void fetch() {
        Path script = repoRoot().resolve("charts/tools/fetch-helm");
        System.out.println("helm is not in its cache: running " + script);
        try {
            Process process = new ProcessBuilder(script.toString())
                    .redirectErrorStream(true)
                    .start();
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(300, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                fail(script + " could not fetch helm (it needs npm, unzip and the npm registry): " + out.strip());
            }
        } catch (IOException e) {
            fail("could not run " + script + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while running " + script);
        }
    }

    /** The cache of charts/tools/fetch-helm: $VDISK_TOOLS_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/vdisk-csi. */
    private static Path cacheDir() {
        String tools = System.getenv("VDISK_TOOLS_CACHE");
        if (tools != null && !tools.isBlank()) {
            return Path.of(tools);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("vdisk-csi");
    }

    /** {@code helm template} of the chart with the given extra arguments (value files, --set, --include-crds). */
    Result template(String... args) {
        List<String> command =
                new ArrayList<>(List.of("template", RELEASE, chart().toString(), "--namespace", NAMESPACE));
        command.addAll(List.of(args));
        return run(command);
    }

    Result lint(String... args) {
        List<String> command = new ArrayList<>(List.of("lint", "--strict", chart().toString()));
        command.addAll(List.of(args));
        return run(command);
    }

    /** Renders, failing the test with helm's own message when helm refuses. */
    public Manifests render(String... args) {
        Result result = template(args);
        if (result.exitCode() != 0) {
            fail("helm template " + String.join(" ", args) + " failed (exit " + result.exitCode() + "):\n"
                    + result.stderr());
        }
        return Manifests.parse(result.stdout());
    }

    /**
     * {@code helm VERB} ({@code install}, {@code upgrade}, {@code uninstall}) of the release against the cluster of
     * {@code kubeconfig}; the chart goes after the release name where the verb takes one. Fails the test with helm's
     * message when helm refuses; returns what helm printed.
     */
    public String onCluster(String verb, Path kubeconfig, List<String> args) {
        List<String> command = new ArrayList<>(List.of(verb, RELEASE));
        if (!verb.equals("uninstall")) {
            command.add(chart().toString());
        }
        command.addAll(List.of("--namespace", NAMESPACE, "--kubeconfig", kubeconfig.toString()));
        command.addAll(args);
        Result result = run(command);
        if (result.exitCode() != 0) {
            fail("helm " + String.join(" ", command) + " failed (exit " + result.exitCode() + "):\n" + result.stderr());
        }
        return result.stdout();
    }

    private Result run(List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(arguments);
        try {
            Path err = Files.createTempFile("helm", ".err");
            try {
                Process process =
                        new ProcessBuilder(command).redirectError(err.toFile()).start();
                process.getOutputStream().close();
                String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(300, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    fail("helm did not finish in 300 s: " + command);
                }
                return new Result(process.exitValue(), out, Files.readString(err));
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("could not run " + command + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    record Result(int exitCode, String stdout, String stderr) {}
}
