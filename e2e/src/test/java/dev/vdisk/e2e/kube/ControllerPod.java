package dev.vdisk.e2e.kube;

import io.fabric8.kubernetes.api.model.PodSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One replica of the chart's controller Deployment as processes: {@code bin/vdisk-csi controller} and the
 * provisioner, snapshotter and resizer sidecars on its socket, all with the controller service account's token (one
 * pod, one account). The pod's name is that of a Pending pod the ReplicaSet made, so the provisioner's
 * {@code --capacity-ownerref-level=2} finds its Deployment. The sidecars get their own UTS namespace whose host
 * name is the pod's, as in a pod: they take their leader-election identity from it.
 */
final class ControllerPod implements AutoCloseable {

    private static final List<String> SIDECARS = List.of("csi-provisioner", "csi-snapshotter", "csi-resizer");

    private final String podName;
    private final List<ChildProcess> processes;
    private final CsiSocket socket;

    private ControllerPod(String podName, List<ChildProcess> processes, CsiSocket socket) {
        this.podName = podName;
        this.processes = processes;
        this.socket = socket;
    }

    static ControllerPod start(
            String podName,
            Path base,
            PodSpec deployment,
            ControlPlane plane,
            KubeAssets assets,
            Path launcher,
            Path tls)
            throws Exception {
        Path dir = base.resolve(podName);
        Files.createDirectories(dir);
        String ns = RealCluster.NAMESPACE;
        Path kubeconfig = plane.kubeconfig(podName, plane.token(ns, "vdisk-csi-controller", null), ns);
        Path agentToken = dir.resolve("agent-api-token");
        Files.writeString(agentToken, plane.token(ns, "vdisk-csi-controller", "vdisk-csi-agent-api"));
        Path sock = dir.resolve("csi.sock");
        Map<String, String> replace = new LinkedHashMap<>();
        replace.put("/csi/csi.sock", sock.toString());
        replace.put("$(POD_NAMESPACE)", ns);
        replace.put("$(NAMESPACE)", ns);
        replace.put("/etc/vdisk-csi/agent-api-ca", tls.toString());
        replace.put("/var/run/secrets/vdisk-csi/agent-api/token", agentToken.toString());
        replace.put("0.0.0.0:9811", "127.0.0.1:" + ControlPlane.freePort());
        Map<String, String> fields = Map.of("metadata.namespace", ns, "metadata.name", podName);
        List<ChildProcess> processes = new ArrayList<>();
        CsiSocket socket = new CsiSocket(sock);
        ControllerPod pod = new ControllerPod(podName, processes, socket);
        try {
            ChartContainer driver = ChartContainer.of(deployment, "vdisk-csi", replace, fields);
            List<String> command = new ArrayList<>(List.of(launcher.toString()));
            command.addAll(driver.args());
            command.add("--kubeconfig=" + kubeconfig);
            ChildProcess controller = ChildProcess.start(podName + "-vdisk-csi", base, command, driver.env());
            processes.add(controller);
            socket.awaitReady(controller, Duration.ofSeconds(90));
            for (String sidecar : SIDECARS) {
                ChartContainer chart = ChartContainer.of(deployment, sidecar, replace, fields);
                List<String> line = new ArrayList<>(List.of(
                        "unshare",
                        "--uts",
                        "sh",
                        "-c",
                        "hostname \"$0\" && exec \"$@\"",
                        podName,
                        assets.binary(sidecar).toString()));
                line.addAll(chart.args());
                line.add("--kubeconfig=" + kubeconfig);
                line.add("--v=2");
                if (sidecar.equals("csi-provisioner")) {
                    // capacity owner lookup discovers every API group; the default 5 QPS makes that take ~20 s
                    line.add("--kube-api-qps=50");
                    line.add("--kube-api-burst=100");
                }
                processes.add(ChildProcess.start(podName + "-" + sidecar, base, line, chart.env()));
            }
            return pod;
        } catch (Exception | Error e) {
            pod.close();
            throw e;
        }
    }

    String podName() {
        return podName;
    }

    CsiSocket socket() {
        return socket;
    }

    List<ChildProcess> processes() {
        return List.copyOf(processes);
    }

    /** SIGKILL to every container, as when the pod's node dies. */
    void kill() {
        socket.close();
        processes.forEach(ChildProcess::kill);
    }

    @Override
    public void close() {
        socket.close();
        for (ChildProcess p : processes.reversed()) {
            p.close();
        }
    }
}
