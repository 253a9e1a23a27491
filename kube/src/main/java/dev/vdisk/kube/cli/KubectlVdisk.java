package dev.vdisk.kube.cli;

import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.cli.shared.Programs;
import dev.vdisk.cli.shared.ProjectVersion;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code kubectl vdisk}: split, status and tree of vdisk-csi PVCs. kubectl runs {@code kubectl-vdisk} from the PATH
 * with the arguments after {@code vdisk}; the client reads the user's kubeconfig ({@code $KUBECONFIG} or
 * {@code ~/.kube/config}, its current context and namespace), so the user's own RBAC applies. The three verbs are
 * the {@code @Command} methods below, parsed by picocli as the other two programs are ({@link Programs}).
 */
@Command(
        name = "kubectl vdisk",
        mixinStandardHelpOptions = true,
        versionProvider = ProjectVersion.class,
        subcommands = HelpCommand.class,
        description = "Clone splits and lineage of vdisk-csi volumes.",
        customSynopsis = {
            "",
            "  kubectl vdisk split PVC [--mode share|copy] [--rate 200MiB/s] [-n NAMESPACE] [--wait]",
            "  kubectl vdisk status PVC [-n NAMESPACE]",
            "  kubectl vdisk tree PVC [-n NAMESPACE]"
        },
        footer = {
            "",
            "Also: kubectl annotate pvc PVC vdisk.csi.dev/split=share|copy starts a split without the plugin.",
            "",
            "Exit codes:",
            "  0  done (split succeeded, or created without --wait; status or tree shown)",
            "  1  the split failed or was cancelled, or the API server refused or could not be reached (reason on",
            "     stderr)",
            "  2  bad command line",
            "  3  the PVC does not exist, is not bound, or is not a vdisk-csi volume"
        })
public final class KubectlVdisk implements Callable<Integer> {

    private final Supplier<KubernetesClient> clients;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;
    private final Duration pollInterval;

    @Spec
    CommandSpec spec;

    @Option(
            names = {"-n", "--namespace"},
            paramLabel = "NAMESPACE",
            scope = ScopeType.INHERIT,
            description = "the PVC's namespace (default: the kubeconfig context's)")
    String namespace;

    private KubectlVdisk(
            Supplier<KubernetesClient> clients,
            PrintStream out,
            PrintStream err,
            boolean terminal,
            Duration pollInterval) {
        this.clients = clients;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
        this.pollInterval = pollInterval;
    }

    public static void main(String[] args) {
        System.exit(run(
                args,
                KubectlVdisk::userClient,
                System.out,
                System.err,
                System.console() != null && System.console().isTerminal(),
                Duration.ofSeconds(1)));
    }

    /** The user's kubeconfig as kubectl reads it; one try per request (a person waits, no silent back-off). */
    private static KubernetesClient userClient() {
        Config config = Config.autoConfigure(null);
        config.setRequestRetryBackoffLimit(0);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /**
     * Runs one command and returns its exit code (tests call this with a mock server's client).
     *
     * @param clients      makes the client, only once the command line is known to be good; closed at the end
     * @param terminal     stdout is a terminal: the progress bar redraws one line
     * @param pollInterval how often {@code split --wait} looks at the request
     */
    public static int run(
            String[] args,
            Supplier<KubernetesClient> clients,
            PrintStream out,
            PrintStream err,
            boolean terminal,
            Duration pollInterval) {
        CommandLine cl = Programs.commandLine(new KubectlVdisk(clients, out, err, terminal, pollInterval));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    /** {@code kubectl vdisk} alone: a usage error. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command; use split, status or tree");
    }

    @Command(
            name = "split",
            mixinStandardHelpOptions = true,
            description = "Split the PVC's clone off the snapshot it reads through (creates a SplitRequest).")
    int split(
            @Parameters(paramLabel = "PVC") String pvc,
            @Option(
                            names = "--mode",
                            paramLabel = "share|copy",
                            defaultValue = "share",
                            completionCandidates = Modes.class,
                            description = {
                                "share: instant, the clone takes over the "
                                        + "snapshot's data (default); copy: copies the data, afterwards the clone shares nothing"
                            })
                    String mode,
            @Option(
                            names = "--rate",
                            paramLabel = "RATE",
                            converter = ByteSize.RateConverter.class,
                            description = "at most this many bytes per second (binary units: 200MiB/s, 1GiB/s)")
                    ByteSize rate,
            @Option(
                            names = {"-w", "--wait"},
                            description = "follow the split with a progress bar until it ends")
                    boolean await) {
        if (!mode.equals("share") && !mode.equals("copy")) {
            throw new ParameterException(
                    spec.subcommands().get("split"), "--mode must be share or copy, not '" + mode + "'");
        }
        return execute(new Invocation("split", pvc, namespace, mode, rate == null ? null : rate.bytes(), await));
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "Volume, node, size, allocated bytes, backing snapshot and split progress.")
    int status(@Parameters(paramLabel = "PVC") String pvc) {
        return execute(new Invocation("status", pvc, namespace, null, null, false));
    }

    @Command(
            name = "tree",
            mixinStandardHelpOptions = true,
            description = "Lineage: the snapshot the PVC's volume reads through, the clones that depend on each "
                    + "snapshot, and hidden snapshots (deleted, kept for their dependents).")
    int tree(@Parameters(paramLabel = "PVC") String pvc) {
        return execute(new Invocation("tree", pvc, namespace, null, null, false));
    }

    /** What --mode completes to. */
    static final class Modes implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("share", "copy").iterator();
        }
    }

    private int execute(Invocation inv) {
        try (KubernetesClient client = clients.get()) {
            String ns = inv.namespace() != null
                    ? inv.namespace()
                    : client.getNamespace() != null ? client.getNamespace() : "default";
            return switch (inv.command()) {
                case "split" -> new SplitCommand(client, out, terminal, pollInterval).run(inv, ns);
                case "status" -> new StatusCommand(client, out).run(inv, ns);
                default -> new TreeCommand(client, out).run(inv, ns);
            };
        } catch (PluginException e) {
            err.println("error: " + e.getMessage());
            return e.exitCode();
        } catch (KubernetesClientException e) {
            if (e.getCode() <= 0) { // no HTTP answer at all
                err.println("error: cannot reach the API server: "
                        + (e.getCause() == null ? e.getMessage() : e.getCause().toString()));
            } else {
                err.println("error: the API server refused (" + e.getCode() + "): "
                        + (e.getStatus() != null && e.getStatus().getMessage() != null
                                ? e.getStatus().getMessage()
                                : e.getMessage()));
            }
            return ExitCodes.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("error: interrupted");
            return ExitCodes.FAILED;
        }
    }
}
