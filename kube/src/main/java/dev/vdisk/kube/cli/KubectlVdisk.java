package dev.vdisk.kube.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * {@code kubectl vdisk}: split, status and tree of vdisk-csi PVCs. kubectl runs {@code kubectl-vdisk} from the PATH
 * with the arguments after {@code vdisk}; the client reads the user's kubeconfig ({@code $KUBECONFIG} or
 * {@code ~/.kube/config}, its current context and namespace), so the user's own RBAC applies.
 */
public final class KubectlVdisk {

    static final String USAGE = """
            kubectl vdisk: clone splits and lineage of vdisk-csi volumes

            Usage:
              kubectl vdisk split PVC [--mode share|copy] [--rate 200MiB/s] [-n NAMESPACE] [--wait]
                  Split the PVC's clone off the snapshot it reads through (creates a SplitRequest).
                  --mode share   instant: the clone takes over the snapshot's data (default)
                  --mode copy    copies the data; afterwards the clone shares nothing
                  --rate RATE    at most this many bytes per second (binary units: 200MiB/s, 1GiB/s)
                  --wait, -w     follow the split with a progress bar until it ends
              kubectl vdisk status PVC [-n NAMESPACE]
                  Volume, node, size, allocated bytes, backing snapshot and split progress.
              kubectl vdisk tree PVC [-n NAMESPACE]
                  Lineage: the snapshot the PVC's volume reads through, the clones that depend on each snapshot,
                  and hidden snapshots (deleted, kept for their dependents).

            Also: kubectl annotate pvc PVC vdisk.csi.dev/split=share|copy starts a split without the plugin.

            Exit codes:
              0  done (split succeeded, or created without --wait; status or tree shown)
              1  the split failed or was cancelled, or the API server refused or could not be reached (reason on
                 stderr)
              2  bad command line
              3  the PVC does not exist, is not bound, or is not a vdisk-csi volume
            """;

    private KubectlVdisk() {
    }

    public static void main(String[] args) {
        System.exit(run(args, KubectlVdisk::userClient, System.out, System.err,
                System.console() != null && System.console().isTerminal(), Duration.ofSeconds(1)));
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
    public static int run(String[] args, Supplier<KubernetesClient> clients, PrintStream out, PrintStream err,
                   boolean terminal, Duration pollInterval) {
        Invocation inv;
        try {
            inv = Invocation.parse(args);
        } catch (PluginException e) {
            err.println("error: " + e.getMessage());
            return e.exitCode();
        }
        if (inv.command().equals("help")) {
            out.print(USAGE);
            return ExitCodes.OK;
        }
        try (KubernetesClient client = clients.get()) {
            String namespace = inv.namespace() != null ? inv.namespace()
                    : client.getNamespace() != null ? client.getNamespace() : "default";
            return switch (inv.command()) {
                case "split" -> new SplitCommand(client, out, terminal, pollInterval).run(inv, namespace);
                case "status" -> new StatusCommand(client, out).run(inv, namespace);
                default -> new TreeCommand(client, out).run(inv, namespace);
            };
        } catch (PluginException e) {
            err.println("error: " + e.getMessage());
            return e.exitCode();
        } catch (KubernetesClientException e) {
            if (e.getCode() <= 0) { // no HTTP answer at all
                err.println("error: cannot reach the API server: " + (e.getCause() == null ? e.getMessage()
                        : e.getCause().toString()));
            } else {
                err.println("error: the API server refused (" + e.getCode() + "): " + (e.getStatus() != null
                        && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage()));
            }
            return ExitCodes.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("error: interrupted");
            return ExitCodes.FAILED;
        }
    }
}
