package dev.vdisk.kube.cli;

import dev.vdisk.cli.shared.ProgressBar;
import dev.vdisk.kube.resource.ObjectNames;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestSpec;
import dev.vdisk.kube.resource.SplitRequestStatus;
import dev.vdisk.kube.split.ByteUnits;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** {@code kubectl vdisk split PVC}: creates a SplitRequest; with --wait follows it to the end. */
final class SplitCommand {

    private static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KubernetesClient client;
    private final PrintStream out;
    private final boolean terminal;
    private final Duration pollInterval;

    SplitCommand(KubernetesClient client, PrintStream out, boolean terminal, Duration pollInterval) {
        this.client = client;
        this.out = out;
        this.terminal = terminal;
        this.pollInterval = pollInterval;
    }

    int run(Invocation inv, String namespace) throws PluginException, InterruptedException {
        PvcVolume.claim(client, namespace, inv.pvc());
        SplitRequest request = new SplitRequest();
        request.setMetadata(new ObjectMetaBuilder()
                .withName(name(inv.pvc()))
                .withNamespace(namespace)
                .build());
        request.setSpec(new SplitRequestSpec(inv.pvc(), inv.mode(), inv.rate()));
        SplitRequest created = client.resources(SplitRequest.class)
                .inNamespace(namespace)
                .resource(request)
                .create();
        String name = created.getMetadata().getName();
        out.println("splitrequest.vdisk.csi.dev/" + name + " created (" + inv.mode() + " split of PVC " + namespace
                + "/" + inv.pvc() + (inv.rate() == null ? "" : ", at most " + ByteUnits.format(inv.rate()) + "/s")
                + ")");
        if (!inv.await()) {
            out.println("follow it with: kubectl get splitrequest " + name + " -n " + namespace + " -w");
            return ExitCodes.OK;
        }
        return follow(namespace, name);
    }

    private int follow(String namespace, String name) throws PluginException, InterruptedException {
        ProgressBar bar = new ProgressBar(out, terminal, "", Duration.ZERO);
        while (true) {
            SplitRequest r = client.resources(SplitRequest.class)
                    .inNamespace(namespace)
                    .withName(name)
                    .get();
            if (r == null) {
                bar.finish();
                throw new PluginException(
                        ExitCodes.FAILED,
                        "split request " + namespace + "/" + name + " was deleted before it finished");
            }
            SplitRequestStatus s = r.getStatus();
            SplitRequestPhase phase = s == null ? null : s.phase();
            bar.show(
                    s == null ? 0 : s.percent(),
                    (phase == null ? SplitRequestPhase.Pending : phase).name(),
                    details(s));
            if (phase == SplitRequestPhase.Succeeded) {
                bar.finish();
                out.println("split of volume " + s.volumeId() + " succeeded: " + ByteUnits.format(s.bytesRelocated())
                        + " relocated; the PVC no longer depends on any snapshot");
                return ExitCodes.OK;
            }
            if (phase == SplitRequestPhase.Failed || phase == SplitRequestPhase.Cancelled) {
                bar.finish();
                throw new PluginException(
                        ExitCodes.FAILED, "split " + phase.name().toLowerCase() + ": " + reason(s.conditions(), phase));
            }
            Thread.sleep(pollInterval.toMillis());
        }
    }

    /** After the bar: bytes relocated, and while running the rate and the ETA; or what a waiting split waits for. */
    static String details(SplitRequestStatus s) {
        SplitRequestPhase phase = s == null || s.phase() == null ? SplitRequestPhase.Pending : s.phase();
        StringBuilder b = new StringBuilder();
        if (s != null && (phase == SplitRequestPhase.Running || phase == SplitRequestPhase.Succeeded)) {
            b.append(ByteUnits.format(s.bytesRelocated()));
            if (phase == SplitRequestPhase.Running) {
                b.append("  ")
                        .append(ByteUnits.format(s.bytesPerSecond()))
                        .append("/s  ETA ")
                        .append(ProgressBar.eta(s.etaSeconds()));
            }
        }
        if (phase == SplitRequestPhase.Pending || phase == SplitRequestPhase.Queued) {
            Condition waiting = s == null || s.conditions() == null
                    ? null
                    : s.conditions().stream()
                            .filter(c -> "False".equals(c.getStatus()))
                            .findFirst()
                            .orElse(null);
            b.append(
                    waiting == null
                            ? "waiting for the controller"
                            : waiting.getReason() + ": " + Objects.toString(waiting.getMessage(), ""));
        }
        return b.toString();
    }

    private static String reason(List<Condition> conditions, SplitRequestPhase phase) {
        String type = phase == SplitRequestPhase.Failed ? "Failed" : "Complete";
        return conditions == null
                ? "no reason given"
                : conditions.stream()
                        .filter(c -> c.getType().equals(type))
                        .findFirst()
                        .map(c -> c.getReason() + ": " + c.getMessage())
                        .orElse("no reason given");
    }

    /** {@code <pvc>-split-xxxxx}, cut so that it stays a valid name (253 characters). */
    private static String name(String pvc) {
        StringBuilder suffix = new StringBuilder("-split-");
        for (int i = 0; i < 5; i++) {
            suffix.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return ObjectNames.withSuffix(pvc, suffix.toString());
    }
}
