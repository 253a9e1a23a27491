package dev.vdisk.kube.split;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vdisk.kube.access.ApiRule;
import dev.vdisk.kube.access.RecordedAccess;
import dev.vdisk.kube.access.SplitControllerAccess;
import dev.vdisk.kube.resource.Failure;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.SplitProgress;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestSpec;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshotSpec;
import dev.vdisk.kube.resource.VdiskSnapshotStatus;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeSpec;
import dev.vdisk.kube.resource.VdiskVolumeStatus;
import dev.vdisk.kube.testing.Await;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * A mock API server (CRUD mode, with the generated CRDs so that status subresources and generations behave) holding
 * PVCs, PVs and VdiskVolumes, a split request controller to start, and a simulated node agent that writes
 * {@code VdiskVolume.status} as the real one does. The controller gets a client of its own (its User-Agent marks
 * its requests); what it asked of the server is checked against {@link SplitControllerAccess#RULES} at
 * {@link #close()}.
 */
public final class SplitFixture implements AutoCloseable {

    public static final String DRIVER = "vdisk.csi.dev";
    public static final String NS = "team-a";
    static final String CONTROLLER_AGENT = "split-controller-under-test";
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    static {
        // the mock server and the client log every request at DEBUG/INFO: thousands of lines that slow the tests
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.INFO);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.fabric8"))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    public final KubernetesMockServer server;
    public final KubernetesClient client;
    private final List<RecordedAccess.Access> controllerAccess = new ArrayList<>();
    private SplitRequestController controller;
    private KubernetesClient controllerClient;

    public SplitFixture(KubernetesMockServer server, KubernetesClient client) {
        this.server = server;
        this.client = client;
        run(() -> {
            for (String plural : List.of("splitrequests", "vdiskvolumes", "vdisksnapshots")) {
                installCrd(plural);
            }
        });
    }

    private void installCrd(String plural) {
        try (InputStream in = SplitFixture.class.getResourceAsStream(
                "/META-INF/fabric8/" + plural + "." + ResourceKeys.GROUP + "-v1.yml")) {
            if (in == null) {
                throw new IllegalStateException("generated CRD of " + plural + " not on the class path");
            }
            CustomResourceDefinition crd =
                    client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
            client.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .resource(crd)
                    .create();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts the controller as the leader would (fast resync so that retries show within a test), with a client of
     * its own whose User-Agent tells its requests from the test's.
     */
    public void startController() {
        controllerClient = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(client.getConfiguration())
                        .withUserAgent(CONTROLLER_AGENT)
                        .build())
                .build();
        controller = SplitRequestController.start(controllerClient, DRIVER, Duration.ofSeconds(1), Clock.systemUTC());
    }

    /** A test-side request (kept apart from the controller's by their User-Agent). */
    public <T> T call(Supplier<T> action) {
        return action.get();
    }

    public void run(Runnable action) {
        call(() -> {
            action.run();
            return null;
        });
    }

    /** A bound PVC on a PV of {@code driver} whose volume handle is {@code volumeId}. */
    public void boundPvc(String pvc, String volumeId, String driver) {
        run(() -> {
            client.persistentVolumes()
                    .resource(new PersistentVolumeBuilder()
                            .withNewMetadata()
                            .withName("pv-" + pvc)
                            .endMetadata()
                            .withNewSpec()
                            .addToCapacity("storage", new Quantity("1Gi"))
                            .withNewCsi()
                            .withDriver(driver)
                            .withVolumeHandle(volumeId)
                            .endCsi()
                            .withNewClaimRef()
                            .withNamespace(NS)
                            .withName(pvc)
                            .endClaimRef()
                            .endSpec()
                            .build())
                    .create();
            client.persistentVolumeClaims()
                    .inNamespace(NS)
                    .resource(claim(pvc, "pv-" + pvc))
                    .create();
        });
    }

    public static PersistentVolumeClaim claim(String pvc, String volumeName) {
        return new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(pvc)
                .withNamespace(NS)
                .endMetadata()
                .withNewSpec()
                .withVolumeName(volumeName)
                .withAccessModes("ReadWriteOnce")
                .withNewResources()
                .addToRequests("storage", new Quantity("1Gi"))
                .endResources()
                .endSpec()
                .build();
    }

    /** A VdiskVolume its node agent reports Ready, a clone of {@code backing} (null: independent). */
    public void volume(String volumeId, String backing) {
        run(() -> {
            VdiskVolume v = new VdiskVolume();
            v.setMetadata(new ObjectMetaBuilder()
                    .withName(volumeId)
                    .addToLabels(ResourceKeys.NODE_LABEL, "node-a")
                    .build());
            v.setSpec(new VdiskVolumeSpec("node-a", 1L << 30, backing, Map.of(), null));
            VdiskVolume created =
                    client.resources(VdiskVolume.class).resource(v).create();
            created.setStatus(status(created, backing, null, null));
            client.resources(VdiskVolume.class).resource(created).updateStatus();
        });
    }

    /** A VdiskSnapshot of {@code sourceVolumeId}, Ready. */
    public void snapshot(String snapshotId, String sourceVolumeId) {
        run(() -> {
            VdiskSnapshot s = new VdiskSnapshot();
            s.setMetadata(new ObjectMetaBuilder()
                    .withName(snapshotId)
                    .addToLabels(ResourceKeys.NODE_LABEL, "node-a")
                    .build());
            s.setSpec(new VdiskSnapshotSpec("node-a", sourceVolumeId));
            VdiskSnapshot created =
                    client.resources(VdiskSnapshot.class).resource(s).create();
            created.setStatus(new VdiskSnapshotStatus(
                    ResourcePhase.Ready,
                    created.getMetadata().getGeneration(),
                    1L << 30,
                    "2026-11-22T06:00:00Z",
                    true,
                    null,
                    List.of(),
                    null,
                    List.of()));
            client.resources(VdiskSnapshot.class).resource(created).updateStatus();
        });
    }

    /** The simulated node agent reports {@code split} for the volume's current generation. */
    public void report(String volumeId, SplitProgress split) {
        run(() -> {
            VdiskVolume v =
                    client.resources(VdiskVolume.class).withName(volumeId).get();
            String backing = "DONE".equals(split.phase()) ? null : v.getStatus().backingSnapshotId();
            v.setStatus(status(v, backing, split, null));
            client.resources(VdiskVolume.class).resource(v).updateStatus();
        });
    }

    /** The simulated node agent refuses the volume's current spec (phase Failed with the engine's reason). */
    public void refuse(String volumeId, String reason, String message) {
        run(() -> {
            VdiskVolume v =
                    client.resources(VdiskVolume.class).withName(volumeId).get();
            v.setStatus(
                    status(v, v.getStatus().backingSnapshotId(), v.getStatus().split(), new Failure(reason, message)));
            client.resources(VdiskVolume.class).resource(v).updateStatus();
        });
    }

    private static VdiskVolumeStatus status(VdiskVolume v, String backing, SplitProgress split, Failure failure) {
        return new VdiskVolumeStatus(
                failure == null ? ResourcePhase.Ready : ResourcePhase.Failed,
                v.getMetadata().getGeneration(),
                1L << 30,
                1L << 20,
                backing == null ? 0 : 1L << 19,
                false,
                backing == null ? 0 : 1,
                backing,
                Map.of(),
                null,
                split,
                failure,
                List.of());
    }

    public static SplitProgress progress(String mode, String phase, int percent, long bytes) {
        boolean done = Set.of("DONE", "CANCELLED", "FAILED").contains(phase);
        return new SplitProgress(
                mode,
                phase,
                percent,
                percent,
                100,
                bytes,
                done ? 0 : 4L << 20,
                done ? 0 : (100 - percent) / 4,
                phase.equals("FAILED") ? "out of space: 0 B free" : "",
                phase.equals("QUEUED") ? "" : "2026-11-22T07:00:00Z",
                done ? "2026-11-22T07:01:00Z" : "");
    }

    public void createRequest(String name, String pvc, String mode, Long rate) {
        run(() -> {
            SplitRequest r = new SplitRequest();
            r.setMetadata(
                    new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
            r.setSpec(new SplitRequestSpec(pvc, mode, rate));
            client.resources(SplitRequest.class).inNamespace(NS).resource(r).create();
        });
    }

    public SplitRequest request(String name) {
        return call(() -> client.resources(SplitRequest.class)
                .inNamespace(NS)
                .withName(name)
                .get());
    }

    public VdiskVolume vdiskVolume(String volumeId) {
        return call(() -> client.resources(VdiskVolume.class).withName(volumeId).get());
    }

    /** Reasons of the Events on the PVC, oldest first. */
    public List<String> eventReasons(String pvc) {
        return events(pvc).stream().map(Event::getReason).toList();
    }

    public List<Event> events(String pvc) {
        return call(() -> client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> e.getInvolvedObject().getName().equals(pvc))
                .sorted(Comparator.comparing(e -> e.getMetadata().getName()))
                .toList());
    }

    public static void await(String what, BooleanSupplier condition, Supplier<Object> state) {
        Await.until(what, TIMEOUT, condition, state);
    }

    /** The distinct accesses the controller made so far (also kept for the check at close). */
    public Set<RecordedAccess.Access> controllerAccess() {
        controllerAccess.addAll(RecordedAccess.drain(server, CONTROLLER_AGENT));
        return new TreeSet<>(controllerAccess);
    }

    @Override
    public void close() {
        if (controller != null) {
            controller.close();
            controllerClient.close();
        }
        Set<RecordedAccess.Access> seen = controllerAccess();
        List<RecordedAccess.Access> undeclared = seen.stream()
                .filter(a -> SplitControllerAccess.RULES.stream().noneMatch(rule -> allows(rule, a)))
                .toList();
        assertEquals(
                List.of(),
                undeclared,
                "requests the split controller made that SplitControllerAccess does " + "not declare");
    }

    private static boolean allows(ApiRule rule, RecordedAccess.Access a) {
        return rule.apiGroup().equals(a.apiGroup())
                && rule.resource().equals(a.resource())
                && rule.verbs().contains(a.verb());
    }
}
