package dev.vdisk.e2e.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real node's pod network: a bridge of the test's own with a /24, the CNI bridge + host-local configuration
 * that containerd reads, and the one iptables rule that stands in for kube-proxy: the {@code kubernetes} Service
 * address (10.96.0.1:443) DNATed to the API server on 127.0.0.1, which the bridge may route to because
 * {@code route_localnet} is set on it alone. Closing removes the rule and the bridge.
 */
final class PodNetwork implements AutoCloseable {

    static final String BRIDGE = "vdiske2e0";
    static final String GATEWAY = "10.244.77.1";
    static final String SERVICE_IP = "10.96.0.1";

    private final Path dir;
    private final String[] dnat;
    private boolean bridgeAdded;
    private boolean ruleAdded;

    private PodNetwork(Path dir, int apiPort) {
        this.dir = dir;
        this.dnat = new String[] {
            "-t",
            "nat",
            "PREROUTING",
            "-i",
            BRIDGE,
            "-d",
            SERVICE_IP,
            "-p",
            "tcp",
            "--dport",
            "443",
            "-m",
            "comment",
            "--comment",
            "vdisk-e2e",
            "-j",
            "DNAT",
            "--to-destination",
            "127.0.0.1:" + apiPort
        };
    }

    /** Makes the bridge and the rule and writes the CNI configuration into {@code dir}/cni. */
    static PodNetwork start(Path dir, int apiPort) throws IOException {
        PodNetwork net = new PodNetwork(dir, apiPort);
        try {
            // a bridge left by a killed run would make "ip link add" fail: remove it first
            if (Files.exists(Path.of("/sys/class/net", BRIDGE))) {
                HostCommand.run("ip", "link", "del", BRIDGE);
            }
            HostCommand.run("ip", "link", "add", BRIDGE, "type", "bridge");
            net.bridgeAdded = true;
            HostCommand.run("ip", "addr", "add", GATEWAY + "/24", "dev", BRIDGE);
            HostCommand.run("ip", "link", "set", BRIDGE, "up");
            Files.writeString(Path.of("/proc/sys/net/ipv4/conf", BRIDGE, "route_localnet"), "1");
            HostCommand.run(net.iptables("-A"));
            net.ruleAdded = true;
            Files.createDirectories(dir.resolve("cni"));
            Files.writeString(
                    dir.resolve("cni/10-vdisk-e2e.conf"), """
                    {"cniVersion": "0.4.0", "name": "vdisk-e2e", "type": "bridge", "bridge": "%s",
                     "isGateway": true, "isDefaultGateway": true, "ipMasq": false, "hairpinMode": true,
                     "ipam": {"type": "host-local", "dataDir": "%s",
                              "ranges": [[{"subnet": "10.244.77.0/24", "gateway": "%s"}]]}}
                    """.formatted(BRIDGE, dir.resolve("ipam"), GATEWAY));
            return net;
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    Path cniConfDir() {
        return dir.resolve("cni");
    }

    private String[] iptables(String action) {
        String[] command = new String[dnat.length + 2];
        command[0] = "iptables";
        command[1] = dnat[0];
        command[2] = dnat[1];
        command[3] = action;
        System.arraycopy(dnat, 2, command, 4, dnat.length - 2);
        return command;
    }

    @Override
    public void close() {
        if (ruleAdded) {
            HostCommand.quietly(iptables("-D"));
            ruleAdded = false;
        }
        if (bridgeAdded) {
            HostCommand.quietly("ip", "link", "del", BRIDGE);
            bridgeAdded = false;
        }
    }
}
