package dev.vdisk.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeRequest;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginInfoRequest;
import csi.v1.GetPluginInfoResponse;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.ProbeRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** bin/vdisk-csi as a real process, over its real unix socket. */
class LauncherIT {

    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<LauncherProcess> started = new ArrayList<>();

    @AfterEach
    void killEverythingStarted() {
        for (LauncherProcess process : started) {
            process.close();
        }
        KernelView.cleanUpUnder(dir);
    }

    private Path socket() {
        return dir.resolve("run/csi.sock");
    }

    private LauncherProcess launch(String... args) throws IOException {
        LauncherProcess process = LauncherProcess.start(dir, socket(), args);
        started.add(process);
        return process;
    }

    private LauncherProcess serve(String mode, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of(mode, "--endpoint", "unix://" + socket(), "--node-id", "e2e-node"));
        if (mode.equals("controller")) {
            // controller mode needs a Kubernetes API; one that does not answer is enough to serve CSI calls that
            // need none (leader election keeps retrying in the background)
            Path kubeconfig = dir.resolve("kubeconfig");
            Files.writeString(kubeconfig, """
                    apiVersion: v1
                    kind: Config
                    clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
                    users: [{name: none, user: {token: none}}]
                    contexts: [{name: none, context: {cluster: none, user: none, namespace: default}}]
                    current-context: none
                    """);
            args.addAll(List.of("--kubeconfig", kubeconfig.toString(), "--kube-timeout", "2"));
        } else {
            // never the defaults /run/vdisk and /var/lib/kubelet: another agent on this machine may use them
            args.addAll(List.of(
                    "--pool",
                    dir.resolve("pool").toString(),
                    "--state-dir",
                    dir.resolve("state").toString(),
                    "--kubelet-dir",
                    dir.resolve("kubelet").toString()));
        }
        args.addAll(List.of(extra));
        return launch(args.toArray(String[]::new));
    }

    @ParameterizedTest
    @ValueSource(strings = {"controller", "node", "standalone"})
    void everyModeServesIdentityAndAdvertisesOnlyWhatItImplements(String mode) throws Exception {
        LauncherProcess process = serve(mode, "--driver-name", "e2e.vdisk.dev");
        ManagedChannel channel = process.awaitReady();
        var identity = IdentityGrpc.newBlockingStub(channel);

        GetPluginInfoResponse info = identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
        assertEquals("e2e.vdisk.dev", info.getName());
        assertEquals(System.getProperty("vdisk.version"), info.getVendorVersion());
        // every mode says that volumes are reachable from their own node only (the external-provisioner reads it
        // from the controller's socket); controller and standalone serve the Controller with online expansion,
        // GroupController and SnapshotMetadata
        List<String> expected =
                switch (mode) {
                    case "controller" ->
                        List.of(
                                "CONTROLLER_SERVICE",
                                "VOLUME_ACCESSIBILITY_CONSTRAINTS",
                                "expansion ONLINE",
                                "GROUP_CONTROLLER_SERVICE",
                                "SNAPSHOT_METADATA_SERVICE");
                    case "node" -> List.of("VOLUME_ACCESSIBILITY_CONSTRAINTS");
                    default ->
                        List.of(
                                "VOLUME_ACCESSIBILITY_CONSTRAINTS",
                                "CONTROLLER_SERVICE",
                                "expansion ONLINE",
                                "GROUP_CONTROLLER_SERVICE",
                                "SNAPSHOT_METADATA_SERVICE");
                };
        assertEquals(
                expected,
                identity
                        .getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                        .getCapabilitiesList()
                        .stream()
                        .map(c -> c.hasService()
                                ? c.getService().getType().name()
                                : "expansion " + c.getVolumeExpansion().getType())
                        .toList());
        var probe = identity.probe(ProbeRequest.getDefaultInstance());
        assertTrue(probe.hasReady() && probe.getReady().getValue());
        assertTrue(
                process.stderr().contains("csi.v1.Identity/GetPluginInfo rid="),
                "one log line per call:\n" + process.stderr());
    }

    @Test
    void servicesAModeDoesNotServeAreUnimplemented() throws Exception {
        ManagedChannel node = serve("node").awaitReady();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ControllerGrpc.newBlockingStub(node)
                .createVolume(CreateVolumeRequest.newBuilder().setName("v").build()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    }

    @Test
    void controllerModeDoesNotServeNode() throws Exception {
        ManagedChannel controller = serve("controller").awaitReady();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> NodeGrpc.newBlockingStub(controller)
                .nodeStageVolume(NodeStageVolumeRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    }

    @Test
    void sigtermStopsCleanlyAndRemovesTheSocket() throws Exception {
        LauncherProcess process = serve("standalone");
        process.awaitReady();
        assertTrue(Files.exists(socket()));
        assertEquals(0, process.terminate(), process.stderr());
        assertFalse(Files.exists(socket(), LinkOption.NOFOLLOW_LINKS), "socket left behind");
        assertTrue(process.stderr().contains("SIGTERM received"), process.stderr());
    }

    @Test
    void staleSocketFromACrashIsReplaced() throws Exception {
        Files.createDirectories(socket().getParent());
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(socket()));
        }
        assertTrue(Files.exists(socket()));
        ManagedChannel channel = serve("node").awaitReady();
        assertEquals(
                "vdisk.csi.dev",
                IdentityGrpc.newBlockingStub(channel)
                        .getPluginInfo(GetPluginInfoRequest.getDefaultInstance())
                        .getName());
    }

    @Test
    void aRegularFileAtTheSocketPathIsRefusedAndLeftAlone() throws Exception {
        Files.createDirectories(socket().getParent());
        Files.writeString(socket(), "not a socket");
        LauncherProcess process = serve("node");
        int code = process.waitForExit(EXIT_TIMEOUT);
        assertEquals(1, code, process.stderr());
        assertTrue(
                process.stderr().contains("refusing to bind " + socket() + ": a regular file is there"),
                process.stderr());
        assertEquals("not a socket", Files.readString(socket()));
    }

    @Test
    void nodeModeCreatesItsPoolDirectory() throws Exception {
        serve("node").awaitReady();
        assertTrue(Files.isDirectory(dir.resolve("pool")));
    }

    @Test
    void demoPrintsTheTourAndKeepsServing() throws Exception {
        LauncherProcess process = serve("standalone", "--demo");
        ManagedChannel channel = process.awaitReady();
        long deadline = System.nanoTime() + EXIT_TIMEOUT.toNanos();
        while (!process.stdout().contains("Serving until Ctrl-C") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        String tour = process.stdout();
        assertTrue(tour.contains("Identity/GetPluginInfo -> name=vdisk.csi.dev"), tour);
        assertTrue(tour.contains("Identity/Probe -> ready=true"), tour);
        assertTrue(tour.contains("Controller/CreateVolume -> pvc-demo-volume, 64 MiB, on node [e2e-node]"), tour);
        assertTrue(tour.contains("reads back 'hello from vdisk-csi'"), tour);
        assertTrue(tour.contains("Node/NodeGetVolumeStats -> "), tour);
        assertTrue(tour.contains("Controller/DeleteVolume -> done"), tour);
        assertFalse(tour.contains("failed"), tour);
        assertTrue(
                IdentityGrpc.newBlockingStub(channel)
                        .probe(ProbeRequest.getDefaultInstance())
                        .getReady()
                        .getValue(),
                "still serving after the tour");
        assertEquals(0, process.terminate(), process.stderr());
    }

    @Test
    void helpExplainsEveryModeAndFlag() throws Exception {
        LauncherProcess process = launch("--help");
        assertEquals(0, process.waitForExit(EXIT_TIMEOUT), process.stderr());
        for (String word : List.of(
                "controller",
                "node",
                "standalone",
                "--endpoint",
                "--driver-name",
                "--node-id",
                "--pool",
                "--log-level",
                "--demo",
                "--help",
                "--kubeconfig",
                "--leader-election-namespace",
                "--leader-election-id",
                "--kube-timeout",
                "--agent-token-file",
                "--agent-listen",
                "--agent-address",
                "--agent-client-sa",
                "--agent-tls-cert",
                "--agent-tls-key",
                "--agent-ca-file",
                "--agent-server-name")) {
            assertTrue(process.stdout().contains(word), word + " missing from --help:\n" + process.stdout());
        }
    }

    @Test
    void aNodeAgentApiOnTheNetworkWithoutTlsExitsTwoWithAOneLineReason() throws Exception {
        LauncherProcess process = launch("node", "--agent-listen", "0.0.0.0:9810", "--agent-client-sa", "ns:sa");
        assertEquals(2, process.waitForExit(EXIT_TIMEOUT));
        List<String> lines = process.stderr().lines().toList();
        assertEquals(1, lines.size(), process.stderr());
        assertTrue(
                lines.getFirst().startsWith("vdisk-csi node: --agent-listen 0.0.0.0:9810 is not a loopback address"),
                lines.getFirst());
    }

    @Test
    void aBadFlagExitsTwoWithAOneLineReason() throws Exception {
        LauncherProcess process = launch("node", "--no-such-flag");
        assertEquals(2, process.waitForExit(EXIT_TIMEOUT));
        List<String> lines = process.stderr().lines().toList();
        assertEquals(List.of("vdisk-csi node: Unknown option: '--no-such-flag' (see vdisk-csi node --help)"), lines);
        assertFalse(Files.exists(socket()));
    }
}
