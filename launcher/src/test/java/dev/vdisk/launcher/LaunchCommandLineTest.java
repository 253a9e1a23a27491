package dev.vdisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.agentapi.AgentTrust;
import dev.vdisk.kube.agentapi.ServingCertificate;
import dev.vdisk.node.fuse.FuseTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class LaunchCommandLineTest {

    @Test
    void defaults() throws UsageException {
        LaunchConfig config = LaunchCommandLine.parse(new String[] {"node"});
        assertEquals(Mode.NODE, config.mode());
        assertEquals(Path.of("/run/vdisk/csi.sock"), config.endpoint().socketPath());
        assertEquals("vdisk.csi.dev", config.driverName());
        assertEquals(Optional.of(Path.of("/var/lib/vdisk")), config.pool());
        assertEquals("info", config.logLevel());
        assertFalse(config.nodeId().isBlank());
        assertFalse(config.demo());
        assertEquals(Path.of("/var/lib/kubelet"), config.node().kubeletDir());
        assertEquals(Path.of("/run/vdisk"), config.node().stateDir());
        assertEquals(OptionalLong.empty(), config.node().poolSize());
        assertEquals(256, config.node().maxVolumes());
        assertEquals(2, config.node().maxSplits());
    }

    @Test
    void nodeAgentFlags() throws UsageException {
        LaunchConfig config = LaunchCommandLine.parse(new String[] {
            "node",
            "--kubelet-dir",
            "/tmp/k/../kubelet",
            "--state-dir=/tmp/state",
            "--pool-size",
            "64G",
            "--max-volumes=12",
            "--max-splits",
            "3",
            "--fuse-transport",
            "dev"
        });
        assertEquals(Path.of("/tmp/kubelet"), config.node().kubeletDir());
        assertEquals(Path.of("/tmp/state"), config.node().stateDir());
        assertEquals(OptionalLong.of(64L << 30), config.node().poolSize());
        assertEquals(12, config.node().maxVolumes());
        assertEquals(3, config.node().maxSplits());
        assertEquals(FuseTransport.DEV, config.node().fuseTransport());
        assertEquals(
                FuseTransport.URING,
                LaunchCommandLine.parse(new String[] {"standalone", "--fuse-transport=uring"})
                        .node()
                        .fuseTransport());
        assertEquals(
                FuseTransport.AUTO,
                LaunchCommandLine.parse(new String[] {"node"}).node().fuseTransport());
        assertEquals(
                OptionalLong.of(1048576),
                LaunchCommandLine.parse(new String[] {"standalone", "--pool-size=1048576"})
                        .node()
                        .poolSize());
    }

    @Test
    void everyFlagInBothSpellings() throws UsageException {
        LaunchConfig config = LaunchCommandLine.parse(new String[] {
            "standalone",
            "--endpoint=unix:///tmp/a.sock",
            "--driver-name",
            "x.example.com",
            "--node-id=n1",
            "--pool",
            "/tmp/p/../pool",
            "--log-level=debug",
            "--demo"
        });
        assertEquals(Path.of("/tmp/a.sock"), config.endpoint().socketPath());
        assertEquals("x.example.com", config.driverName());
        assertEquals("n1", config.nodeId());
        assertEquals(Optional.of(Path.of("/tmp/pool")), config.pool());
        assertEquals("debug", config.logLevel());
        assertTrue(config.demo());
    }

    @Test
    void acceptJournalLossIsOffUnlessGiven() throws UsageException {
        assertFalse(LaunchCommandLine.parse(new String[] {"node"}).node().acceptJournalLoss());
        assertTrue(LaunchCommandLine.parse(new String[] {"node", "--accept-journal-loss"})
                .node()
                .acceptJournalLoss());
        assertTrue(LaunchCommandLine.parse(new String[] {"standalone", "--accept-journal-loss", "--demo"})
                .node()
                .acceptJournalLoss());
    }

    @Test
    void clusterFlags() throws UsageException {
        ClusterOptions c = LaunchCommandLine.parse(new String[] {
                    "controller",
                    "--leader-election-namespace",
                    "vdisk",
                    "--leader-election-id=lease-1",
                    "--kube-timeout",
                    "5",
                    "--agent-token-file",
                    "/t/token",
                    "--kubeconfig=/k/config"
                })
                .cluster();
        assertEquals("vdisk", c.leaderNamespace());
        assertEquals("lease-1", c.leaderId());
        assertEquals(Duration.ofSeconds(5), c.kubeTimeout());
        assertEquals(Path.of("/t/token"), c.tokenFile());
        assertEquals(Optional.of(Path.of("/k/config")), c.kubeconfig());

        ClusterOptions n = LaunchCommandLine.parse(new String[] {
                    "node",
                    "--agent-listen",
                    "0.0.0.0:9810",
                    "--agent-address=10.0.0.5:9810",
                    "--agent-client-sa",
                    "kube-system:vdisk-csi-controller",
                    "--agent-tls-cert",
                    "/tls/tls.crt",
                    "--agent-tls-key=/tls/tls.key"
                })
                .cluster();
        assertEquals(Optional.of("0.0.0.0:9810"), n.agentListen());
        assertEquals(Optional.of("10.0.0.5:9810"), n.agentAddress());
        assertEquals(Optional.of("kube-system:vdisk-csi-controller"), n.agentClientSa());
        assertEquals(
                Optional.of(new ServingCertificate(Path.of("/tls/tls.crt"), Path.of("/tls/tls.key"))),
                n.agentCertificate());
        assertEquals(
                Optional.of("127.0.0.1:9810"),
                LaunchCommandLine.parse(
                                new String[] {"node", "--agent-listen", "127.0.0.1:9810", "--agent-client-sa", "ns:sa"})
                        .cluster()
                        .agentAddress(),
                "defaults to --agent-listen");
        assertEquals(
                Optional.empty(),
                LaunchCommandLine.parse(
                                new String[] {"node", "--agent-listen", "[::1]:9810", "--agent-client-sa", "ns:sa"})
                        .cluster()
                        .agentCertificate(),
                "plaintext on loopback");

        ClusterOptions t = LaunchCommandLine.parse(new String[] {
                    "controller", "--agent-ca-file", "/ca/ca.crt", "--agent-server-name", "agents.vdisk.example"
                })
                .cluster();
        assertEquals(Optional.of(new AgentTrust(Path.of("/ca/ca.crt"), "agents.vdisk.example")), t.agentTrust());
        assertEquals(
                AgentTrust.defaultServerName(ClusterOptions.defaults().leaderNamespace()),
                LaunchCommandLine.parse(new String[] {"controller", "--agent-ca-file", "/ca/ca.crt"})
                        .cluster()
                        .agentTrust()
                        .orElseThrow()
                        .serverName(),
                "vdisk-agent.<POD_NAMESPACE>.svc");

        ClusterOptions d = LaunchCommandLine.parse(new String[] {"controller"}).cluster();
        assertEquals("vdisk-csi-controller", d.leaderId());
        assertEquals(Duration.ofSeconds(60), d.kubeTimeout());
        assertEquals(Optional.empty(), d.kubeconfig());
        assertEquals(
                Optional.empty(),
                LaunchCommandLine.parse(new String[] {"node"}).cluster().agentListen());
        assertEquals(Optional.empty(), d.agentTrust(), "no CA: loopback agents only");
        assertEquals(Optional.empty(), d.agentPeerSa(), "no replicas exchanged by default");
        assertEquals(0, d.replicationRate(), "unlimited by default");

        ClusterOptions peer = LaunchCommandLine.parse(new String[] {
                    "node",
                    "--agent-listen",
                    "127.0.0.1:9810",
                    "--agent-client-sa",
                    "ns:controller",
                    "--agent-peer-sa",
                    "ns:node",
                    "--agent-token-file",
                    "/t/node-token",
                    "--agent-ca-file",
                    "/ca/ca.crt",
                    "--replication-rate",
                    "200M"
                })
                .cluster();
        assertEquals(200L << 20, peer.replicationRate(), "pulls throttled like the splitter");
        assertEquals(Optional.of("ns:node"), peer.agentPeerSa());
        assertEquals(Path.of("/t/node-token"), peer.tokenFile(), "the node's token for other agents");
        assertEquals(Path.of("/ca/ca.crt"), peer.agentTrust().orElseThrow().caFile(), "other agents' CA");
    }

    @Test
    void controllerHasNoPool() throws UsageException {
        assertEquals(
                Optional.empty(),
                LaunchCommandLine.parse(new String[] {"controller"}).pool());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "''|missing mode",
                "nodes|unknown mode 'nodes'",
                "node --agent-listen 0.0.0.0:9810 --agent-client-sa a:b|--agent-listen 0.0.0.0:9810 is not a loopback address",
                "node --agent-listen 10.0.0.5:9810 --agent-client-sa a:b --agent-tls-cert /c|--agent-tls-cert and --agent-tls-key go together",
                "node --agent-tls-cert /c --agent-tls-key /k|--agent-tls-cert needs --agent-listen",
                "controller --agent-server-name x.svc|--agent-server-name needs --agent-ca-file",
                "controller --agent-ca-file /c --agent-server-name X_Y|--agent-server-name must be a DNS name",
                "standalone --agent-ca-file /c|--agent-ca-file is for controller and node modes",
                "node --agent-peer-sa a:b|--agent-peer-sa needs --agent-listen",
                "node --agent-listen 127.0.0.1:9810 --agent-client-sa a:b --agent-peer-sa ab|--agent-peer-sa must be NAMESPACE:SERVICEACCOUNT",
                "controller --agent-tls-key /k|--agent-tls-key is for node mode",
                "--endpoint|the mode comes first",
                "node --bogus|Unknown option: '--bogus'",
                "node --endpoint|Missing required parameter for option '--endpoint' (URI)",
                "node --endpoint tcp://x:1|--endpoint: endpoint must look like unix:///",
                "node --log-level loud|--log-level must be one of",
                "node --demo|--demo is for standalone mode",
                "controller --pool /x|--pool is for node and standalone modes",
                "node extra|unexpected argument extra",
                "standalone --demo=yes|Invalid value for option '--demo': 'yes' is not a boolean",
                "controller --accept-journal-loss|--accept-journal-loss is for node and standalone modes",
                "node --accept-journal-loss=yes|Invalid value for option '--accept-journal-loss'",
                "controller --state-dir /x|--state-dir is for node and standalone modes",
                "controller --kubelet-dir /x|--kubelet-dir is for node and standalone modes",
                "node --pool-size 12Q|Invalid value for option '--pool-size': '12Q' is not a size",
                "node --pool-size -1G|Invalid value for option '--pool-size': '-1G' is not a size",
                "node --pool-size 0|--pool-size must be a positive size",
                "fd-holder|Missing required option: '--socket=PATH'",
                "fd-holder --socket /s --pool /p|--pool is for node and standalone modes",
                "controller --fd-holder /h|--fd-holder is for node and standalone modes",
                "node --max-volumes 0|--max-volumes must be a positive whole number",
                "node --max-splits 0|--max-splits must be a positive whole number",
                "node --fuse-transport fast|--fuse-transport must be auto, uring or dev",
                "controller --fuse-transport dev|--fuse-transport is for node and standalone modes",
                "node --leader-election-id x|--leader-election-id is for controller mode",
                "standalone --kube-timeout 5|--kube-timeout is for controller mode",
                "controller --agent-listen 0.0.0.0:1|--agent-listen is for node mode",
                "standalone --kubeconfig /k|--kubeconfig is for controller and node modes",
                "node --agent-listen 0.0.0.0:9810|--agent-listen needs --agent-client-sa",
                "node --agent-listen nohost --agent-client-sa a:b|--agent-listen must be HOST:PORT",
                "node --agent-client-sa a:b|--agent-client-sa needs --agent-listen",
                "node --agent-listen :1 --agent-client-sa a:b|--agent-listen must be HOST:PORT",
                "node --agent-listen 0.0.0.0:1 --agent-client-sa nocolon|--agent-client-sa must be NAMESPACE:SERVICEACCOUNT",
                "controller --kube-timeout 0|--kube-timeout must be a positive whole number",
                "controller --leader-election-id=|--leader-election-namespace and --leader-election-id must not be empty",
            })
    void badCommandLinesSayWhy(String line, String reason) {
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        UsageException e = assertThrows(UsageException.class, () -> LaunchCommandLine.parse(args));
        assertTrue(e.getMessage().startsWith(reason), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void helpWinsAnywhereAndNamesEveryModeAndFlag() {
        CommandLine cl = LaunchCommandLine.create();
        assertEquals(
                0,
                CommandLine.executeHelpRequest(cl.parseArgs("node", "-h", "--pool", "/p")),
                "help of a mode, whatever else the line says");
        String help = LaunchCommandLine.create().getUsageMessage();
        for (String word : new String[] {
            "controller",
            "node",
            "standalone",
            "fd-holder",
            "--endpoint",
            "--driver-name",
            "--node-id",
            "--pool",
            "--log-level",
            "--demo",
            "--help",
            "--kubelet-dir",
            "--state-dir",
            "--pool-size",
            "--max-volumes",
            "--max-splits",
            "--fuse-transport",
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
            "--agent-server-name",
            "--accept-journal-loss",
            "--fd-holder",
            "--socket"
        }) {
            assertTrue(help.contains(word), word);
        }
    }

    @Test
    void aBadLineIsReportedAgainstItsMode() {
        UsageException e = assertThrows(
                UsageException.class, () -> LaunchCommandLine.parse(new String[] {"node", "--max-splits", "0"}));
        assertEquals(
                "vdisk-csi node: --max-splits must be a positive whole number; got '0' (see vdisk-csi node --help)",
                e.line());
    }
}
