package dev.vdisk.launcher;

import dev.vdisk.csi.server.Endpoint;
import dev.vdisk.kube.agentapi.AgentTrust;
import dev.vdisk.kube.agentapi.ServingCertificate;
import dev.vdisk.node.fuse.FuseTransport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Parses {@code <mode> [--flag value | --flag=value]...}. Hand-written because the launcher has a handful of flags
 * per mode and must say in one line what is wrong with a bad one.
 */
final class CommandLine {

    static final String DEFAULT_ENDPOINT = "unix:///run/vdisk/csi.sock";
    static final String DEFAULT_DRIVER_NAME = "vdisk.csi.dev";
    static final String DEFAULT_POOL = "/var/lib/vdisk";
    static final String DEFAULT_KUBELET_DIR = "/var/lib/kubelet";
    static final String DEFAULT_STATE_DIR = "/run/vdisk";
    static final int DEFAULT_MAX_VOLUMES = 256;
    static final int DEFAULT_MAX_SPLITS = 2;
    private static final Set<String> VALUED_FLAGS = Set.of("--endpoint", "--driver-name", "--node-id", "--pool", "--log-level",
            "--kubelet-dir", "--state-dir", "--pool-size", "--max-volumes", "--max-splits", "--fuse-transport", "--metrics-listen", "--kubeconfig",
            "--leader-election-namespace", "--leader-election-id", "--agent-token-file", "--kube-timeout",
            "--agent-listen", "--agent-address", "--agent-client-sa", "--agent-tls-cert", "--agent-tls-key",
            "--agent-ca-file", "--agent-server-name", "--fd-holder");
    private static final Set<String> NODE_FLAGS = Set.of("--pool", "--kubelet-dir", "--state-dir", "--pool-size", "--max-volumes", "--max-splits",
            "--fuse-transport", "--fd-holder");
    private static final Set<String> CONTROLLER_FLAGS = Set.of("--leader-election-namespace", "--leader-election-id",
            "--agent-token-file", "--kube-timeout", "--agent-ca-file", "--agent-server-name");
    private static final Set<String> NODE_CLUSTER_FLAGS = Set.of("--agent-listen", "--agent-address", "--agent-client-sa",
            "--agent-tls-cert", "--agent-tls-key");
    private static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");

    static final String USAGE = """
            Usage: vdisk-csi <mode> [flags]
                   vdisk-csi fd-holder --socket PATH [--log-level LEVEL]
                   vdisk-csi --help

            vdisk-csi is a CSI driver for node-local thin block volumes. One executable serves every mode;
            the mode is the first argument.

            Modes:
              controller   the cluster-wide part: Controller, GroupController and SnapshotMetadata services
                           (run once per cluster, next to the CSI sidecars). Never opens a pool.
              node         the per-node part: Node service and the agent that owns this node's pool
                           (run on every node, next to node-driver-registrar).
              standalone   both on one socket against one local pool, without Kubernetes: for trying
                           vdisk-csi out and for the end-to-end tests.
              fd-holder    keeps the node agent's FUSE and loop device descriptors open (its --fd-holder),
                           so that volumes survive a restart of the node plugin. Serves PATH (0600, in
                           a 0700 directory of its own) until SIGTERM, then closes what it held.
              controller and standalone serve Controller, GroupController and SnapshotMetadata
              (standalone on its local pool); node and standalone serve the Node service.
              Controller mode needs a Kubernetes API (in-cluster, KUBECONFIG, ~/.kube/config or
              --kubeconfig): volumes are custom resources that node agents reconcile. Node mode joins the
              cluster when one is configured, else it serves only the Node service and says so.

            Flags:
              --endpoint URI      unix socket to serve on (default %s). A stale socket
                                  there is replaced; any other file there is refused, never deleted.
              --driver-name NAME  CSI driver name reported by GetPluginInfo (default %s)
              --node-id ID        this node's id as the CO knows it (default: the host name)
              --pool DIR          node, standalone: directory of this node's pool, created if missing
                                  (default %s)
              --pool-size SIZE    node, standalone: size of a new pool (sparse), e.g. 100G; default 90%% of
                                  the free space of the filesystem holding --pool. An existing pool is opened.
              --kubelet-dir DIR   node, standalone: the only tree where staging and target paths are
                                  accepted (default %s)
              --state-dir DIR     node, standalone: the agent's FUSE mount, state file and lock (default %s)
              --max-volumes N     node, standalone: most volumes staged at once, reported as
                                  max_volumes_per_node (default %d)
              --max-splits N      node, standalone: most clone splits running at once; more wait in a
                                  queue (default %d)
              --fuse-transport auto|uring|dev
                                  node, standalone: how the data path talks to the kernel's FUSE: uring
                                  (FUSE over io_uring, kernel 6.14+; sets the fuse module's enable_uring,
                                  which needs /sys writable), dev (read/write on /dev/fuse), or auto:
                                  uring where the kernel can, else dev with a warning (default auto)
              --fd-holder PATH    node, standalone: the fd-holder's socket. The agent keeps its FUSE connection
                                  and loop devices there, so that volumes survive its restart; waits up to
                                  10 s for it, else starts without and logs that volumes will not survive a
                                  restart. FUSE then runs over /dev/fuse (auto picks dev; uring is refused)
              --accept-journal-loss
                                  node, standalone: open the pool even when its journal lost records that
                                  were fsynced (refused otherwise), keeping every record that survived; the
                                  log then lists the volumes and byte ranges that may hold older data.
                                  Once, after deciding so: the next start needs no flag
              --kubeconfig FILE   controller, node: the Kubernetes API to use (default: in-cluster, then
                                  KUBECONFIG, then ~/.kube/config)
              --leader-election-namespace NS
                                  controller: namespace of the Lease the replicas elect their leader on
                                  (default env POD_NAMESPACE, else default)
              --leader-election-id NAME
                                  controller: name of that Lease (default %s)
              --kube-timeout SECONDS
                                  controller: how long a call waits for the node agent's answer before
                                  answering ABORTED; a retry picks the request up again (default %d)
              --agent-token-file FILE
                                  controller: service-account token (projected, audience
                                  vdisk-csi-agent-api) shown to node agents' internal API, read per call
                                  (default %s)
              --agent-ca-file FILE
                                  controller: PEM CA that node agents' TLS certificates must chain to.
                                  Without it the token is sent to loopback addresses only (plaintext)
              --agent-server-name NAME
                                  controller: the name every node agent's certificate carries, checked
                                  instead of the pod IP dialled (default vdisk-agent.<POD_NAMESPACE>.svc)
              --agent-listen HOST:PORT
                                  node: serve the internal API (snapshot metadata for the controller) here;
                                  without it the node serves none. Any address but loopback needs TLS
                                  (--agent-tls-cert and --agent-tls-key)
              --agent-tls-cert FILE
              --agent-tls-key FILE
                                  node: PEM certificate (chain) and key (PKCS#8, or PKCS#1 RSA) the
                                  internal API presents (TLS), re-read every minute
              --agent-address HOST:PORT
                                  node: the address published for the controller (default --agent-listen)
              --agent-client-sa NAMESPACE:NAME
                                  node: the controller's service account, the only caller the internal API
                                  lets in (checked by TokenReview); required with --agent-listen
              --log-level LEVEL   trace, debug, info, warn or error (default info); logs go to stderr
              --metrics-listen HOST:PORT
                                  serve Prometheus metrics on http://HOST:PORT/metrics (and /healthz);
                                  e.g. 0.0.0.0:9808, [::1]:9808, :9808 (every address). Default: off
              --demo              standalone only: print a guided tour of the CSI calls through the
                                  socket, then keep serving
              -h, --help          print this help and exit

            Stop with SIGTERM or Ctrl-C: in-flight calls finish, the socket is removed, exit code 0.
            Exit codes: 0 stopped cleanly, 1 could not start or failed, 2 bad command line.
            """.formatted(DEFAULT_ENDPOINT, DEFAULT_DRIVER_NAME, DEFAULT_POOL, DEFAULT_KUBELET_DIR, DEFAULT_STATE_DIR,
            DEFAULT_MAX_VOLUMES, DEFAULT_MAX_SPLITS, ClusterOptions.DEFAULT_LEADER_ID,
            ClusterOptions.DEFAULT_KUBE_TIMEOUT.toSeconds(), ClusterOptions.DEFAULT_TOKEN_FILE);

    private CommandLine() {
    }

    /** True when the user asked for help anywhere on the line; help wins over every other mistake. */
    static boolean wantsHelp(String[] args) {
        return Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h"));
    }

    static LaunchConfig parse(String[] args) throws UsageException {
        if (args.length == 0) {
            throw new UsageException("missing mode: controller, node or standalone");
        }
        Mode mode = parseMode(args[0]);
        String endpoint = DEFAULT_ENDPOINT;
        String driverName = DEFAULT_DRIVER_NAME;
        String nodeId = null;
        String pool = null;
        String logLevel = "info";
        boolean demo = false;
        boolean acceptJournalLoss = false;
        String kubeletDir = DEFAULT_KUBELET_DIR;
        String stateDir = DEFAULT_STATE_DIR;
        String poolSize = null;
        String maxVolumes = Integer.toString(DEFAULT_MAX_VOLUMES);
        String maxSplits = Integer.toString(DEFAULT_MAX_SPLITS);
        String fuseTransport = "auto";
        String fdHolder = null;
        ClusterOptions defaults = ClusterOptions.defaults();
        String leaderNamespace = defaults.leaderNamespace();
        String leaderId = defaults.leaderId();
        String tokenFile = defaults.tokenFile().toString();
        String kubeTimeout = Long.toString(defaults.kubeTimeout().toSeconds());
        String kubeconfig = null;
        String agentListen = null;
        String agentAddress = null;
        String agentClientSa = null;
        String agentTlsCert = null;
        String agentTlsKey = null;
        String agentCaFile = null;
        String agentServerName = null;
        String metricsListen = null;
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "' (flags start with --)");
            }
            int eq = arg.indexOf('=');
            String flag = eq < 0 ? arg : arg.substring(0, eq);
            if (flag.equals("--demo")) {
                if (eq >= 0) {
                    throw new UsageException("--demo takes no value");
                }
                demo = true;
                continue;
            }
            if (flag.equals("--accept-journal-loss")) {
                if (eq >= 0) {
                    throw new UsageException("--accept-journal-loss takes no value");
                }
                if (!mode.ownsPool()) {
                    throw new UsageException(flag + " is for node and standalone modes; the controller never opens a pool");
                }
                acceptJournalLoss = true;
                continue;
            }
            if (!VALUED_FLAGS.contains(flag)) {
                throw new UsageException("unknown flag " + flag);
            }
            if (NODE_FLAGS.contains(flag) && !mode.ownsPool()) {
                throw new UsageException(flag + " is for node and standalone modes; the controller never opens a pool");
            }
            if (CONTROLLER_FLAGS.contains(flag) && mode != Mode.CONTROLLER) {
                throw new UsageException(flag + " is for controller mode");
            }
            if (NODE_CLUSTER_FLAGS.contains(flag) && mode != Mode.NODE) {
                throw new UsageException(flag + " is for node mode (the node agent's internal API)");
            }
            if (flag.equals("--kubeconfig") && mode == Mode.STANDALONE) {
                throw new UsageException("--kubeconfig is for controller and node modes; standalone runs without Kubernetes");
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            } else {
                throw new UsageException(flag + " needs a value");
            }
            switch (flag) {
                case "--endpoint" -> endpoint = value;
                case "--driver-name" -> driverName = value;
                case "--node-id" -> nodeId = value;
                case "--pool" -> pool = value;
                case "--log-level" -> logLevel = value;
                case "--kubelet-dir" -> kubeletDir = value;
                case "--state-dir" -> stateDir = value;
                case "--pool-size" -> poolSize = value;
                case "--max-volumes" -> maxVolumes = value;
                case "--max-splits" -> maxSplits = value;
                case "--fuse-transport" -> fuseTransport = value;
                case "--fd-holder" -> fdHolder = value;
                case "--metrics-listen" -> metricsListen = value;
                case "--leader-election-namespace" -> leaderNamespace = value;
                case "--leader-election-id" -> leaderId = value;
                case "--agent-token-file" -> tokenFile = value;
                case "--kube-timeout" -> kubeTimeout = value;
                case "--kubeconfig" -> kubeconfig = value;
                case "--agent-listen" -> agentListen = value;
                case "--agent-address" -> agentAddress = value;
                case "--agent-client-sa" -> agentClientSa = value;
                case "--agent-tls-cert" -> agentTlsCert = value;
                case "--agent-tls-key" -> agentTlsKey = value;
                case "--agent-ca-file" -> agentCaFile = value;
                case "--agent-server-name" -> agentServerName = value;
                default -> throw new UsageException("unknown flag " + flag);
            }
        }
        return validate(mode, endpoint, driverName, nodeId, pool, logLevel, demo)
                .agent(directory("--kubelet-dir", kubeletDir), directory("--state-dir", stateDir),
                        poolSize == null ? OptionalLong.empty() : OptionalLong.of(size(poolSize)),
                        count("--max-volumes", maxVolumes), count("--max-splits", maxSplits), transport(fuseTransport))
                .metrics(metricsListen == null ? Optional.empty() : Optional.of(listenAddress(metricsListen)))
                .cluster(cluster(leaderNamespace, leaderId, tokenFile, kubeTimeout, kubeconfig, agentListen,
                        agentAddress, agentClientSa)
                        .withAgentTls(certificate(agentListen, agentTlsCert, agentTlsKey),
                                trust(agentCaFile, agentServerName, defaults.leaderNamespace())))
                .acceptJournalLoss(acceptJournalLoss)
                .fdHolder(fdHolder(fdHolder, fuseTransport));
    }

    /** {@code --fd-holder}: a socket path; FUSE over io_uring cannot be handed over (the kernel resends only /dev/fuse requests). */
    private static Optional<Path> fdHolder(String socket, String fuseTransport) throws UsageException {
        if (socket == null) {
            return Optional.empty();
        }
        if (fuseTransport.equals("uring")) {
            throw new UsageException("--fuse-transport uring cannot be used with --fd-holder: requests a dead process"
                    + " read through io_uring are never sent again; use --fuse-transport dev or auto");
        }
        return Optional.of(directory("--fd-holder", socket));
    }

    /**
     * The node's TLS pair: both files or neither; without them --agent-listen must be loopback (the controller's
     * token must not travel in plaintext).
     */
    private static Optional<ServingCertificate> certificate(String agentListen, String cert, String key)
            throws UsageException {
        if ((cert == null) != (key == null)) {
            throw new UsageException("--agent-tls-cert and --agent-tls-key go together");
        }
        if (cert != null && agentListen == null) {
            throw new UsageException("--agent-tls-cert needs --agent-listen");
        }
        if (cert == null) {
            if (agentListen != null && !loopback(agentListen)) {
                throw new UsageException("--agent-listen " + agentListen + " is not a loopback address: the internal"
                        + " API carries the controller's token and needs --agent-tls-cert and --agent-tls-key there");
            }
            return Optional.empty();
        }
        return Optional.of(new ServingCertificate(directory("--agent-tls-cert", cert),
                directory("--agent-tls-key", key)));
    }

    /** The controller's CA for node agents, and the name their certificates carry (default from the namespace). */
    private static Optional<AgentTrust> trust(String caFile, String serverName, String namespace)
            throws UsageException {
        if (caFile == null) {
            if (serverName != null) {
                throw new UsageException("--agent-server-name needs --agent-ca-file");
            }
            return Optional.empty();
        }
        String dnsName = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
        if (serverName != null && !serverName.matches(dnsName)) {
            throw new UsageException("--agent-server-name must be a DNS name like vdisk-agent.kube-system.svc; got '"
                    + serverName + "'");
        }
        return Optional.of(new AgentTrust(directory("--agent-ca-file", caFile),
                serverName == null ? AgentTrust.defaultServerName(namespace) : serverName));
    }

    private static boolean loopback(String hostPort) {
        String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.equals("localhost")) {
            return true;
        }
        try {
            return host.matches("[0-9.]+|[0-9a-fA-F:]+") && InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static ClusterOptions cluster(String leaderNamespace, String leaderId, String tokenFile, String kubeTimeout,
                                          String kubeconfig, String agentListen, String agentAddress,
                                          String agentClientSa) throws UsageException {
        if (leaderNamespace.isBlank() || leaderId.isBlank()) {
            throw new UsageException("--leader-election-namespace and --leader-election-id must not be empty");
        }
        if (agentListen != null) {
            hostPort("--agent-listen", agentListen);
            if (agentClientSa == null) {
                throw new UsageException("--agent-listen needs --agent-client-sa NAMESPACE:NAME: the internal API"
                        + " never serves unauthenticated callers");
            }
        } else if (agentAddress != null || agentClientSa != null) {
            throw new UsageException((agentAddress != null ? "--agent-address" : "--agent-client-sa")
                    + " needs --agent-listen");
        }
        if (agentAddress != null) {
            hostPort("--agent-address", agentAddress);
        }
        if (agentClientSa != null && !agentClientSa.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?")) {
            throw new UsageException("--agent-client-sa must be NAMESPACE:SERVICEACCOUNT; got '" + agentClientSa + "'");
        }
        return new ClusterOptions(leaderNamespace, leaderId, directory("--agent-token-file", tokenFile),
                java.time.Duration.ofSeconds(count("--kube-timeout", kubeTimeout)),
                kubeconfig == null ? Optional.empty() : Optional.of(directory("--kubeconfig", kubeconfig)),
                Optional.ofNullable(agentListen), Optional.ofNullable(agentAddress == null ? agentListen : agentAddress),
                Optional.ofNullable(agentClientSa), Optional.empty(), Optional.empty());
    }

    private static void hostPort(String flag, String value) throws UsageException {
        int colon = value.lastIndexOf(':');
        try {
            if (colon <= 0) {
                throw new NumberFormatException();
            }
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " must be HOST:PORT, e.g. 0.0.0.0:9810; got '" + value + "'");
        }
    }

    /** {@code HOST:PORT} for --metrics-listen: an IPv4 address or host name, {@code [IPv6]}, or nothing (every address). */
    static InetSocketAddress listenAddress(String value) throws UsageException {
        String usage = "--metrics-listen must be HOST:PORT, e.g. 0.0.0.0:9808, [::1]:9808 or :9808; got '" + value + "'";
        int colon = value.lastIndexOf(':');
        if (colon < 0) {
            throw new UsageException(usage);
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":") || host.contains("[") || host.contains("]")) {
            throw new UsageException(usage + " (an IPv6 address goes in brackets)");
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UsageException(usage);
        }
        if (port < 1 || port > 65535) {
            throw new UsageException("--metrics-listen port must be 1 to 65535; got '" + value + "'");
        }
        if (host.isEmpty()) {
            return new InetSocketAddress(port);
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new UsageException("--metrics-listen: cannot resolve host '" + host + "'");
        }
        return address;
    }

    private static Path directory(String flag, String value) throws UsageException {
        if (value.isBlank()) {
            throw new UsageException(flag + " needs a directory");
        }
        return Path.of(value).toAbsolutePath().normalize();
    }

    /** A size in bytes with an optional binary suffix: 1073741824, 512M, 100G, 2T. */
    static long size(String value) throws UsageException {
        String v = value.strip().toUpperCase(Locale.ROOT);
        int shift = 0;
        if (!v.isEmpty() && "KMGT".indexOf(v.charAt(v.length() - 1)) >= 0) {
            shift = 10 * ("KMGT".indexOf(v.charAt(v.length() - 1)) + 1);
            v = v.substring(0, v.length() - 1);
        }
        try {
            long n = Long.parseLong(v);
            if (n <= 0 || n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new UsageException("--pool-size must be a positive size like 1073741824, 512M, 100G or 2T; got '" + value + "'");
        }
    }

    private static FuseTransport transport(String value) throws UsageException {
        return switch (value) {
            case "auto" -> FuseTransport.AUTO;
            case "uring" -> FuseTransport.URING;
            case "dev" -> FuseTransport.DEV;
            default -> throw new UsageException("--fuse-transport must be auto, uring or dev; got '" + value + "'");
        };
    }

    private static int count(String flag, String value) throws UsageException {
        try {
            int n = Integer.parseInt(value);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " must be a positive whole number; got '" + value + "'");
        }
    }

    private static Mode parseMode(String word) throws UsageException {
        for (Mode mode : Mode.values()) {
            if (mode.flagName().equals(word)) {
                return mode;
            }
        }
        throw new UsageException(word.startsWith("-")
                ? "the mode comes first: vdisk-csi <controller|node|standalone> [flags]"
                : "unknown mode '" + word + "': use controller, node, standalone or fd-holder");
    }

    private static LaunchConfig validate(Mode mode, String endpointUri, String driverName, String nodeId, String pool,
                                         String logLevel, boolean demo) throws UsageException {
        Endpoint endpoint;
        try {
            endpoint = Endpoint.parse(endpointUri);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--endpoint: " + e.getMessage());
        }
        if (!LOG_LEVELS.contains(logLevel)) {
            throw new UsageException("--log-level must be one of trace, debug, info, warn, error; got '" + logLevel + "'");
        }
        if (demo && mode != Mode.STANDALONE) {
            throw new UsageException("--demo works in standalone mode only");
        }
        if (pool != null && !mode.ownsPool()) {
            throw new UsageException("--pool is for node and standalone modes; the controller never opens a pool");
        }
        if (pool != null && pool.isBlank()) {
            throw new UsageException("--pool needs a directory");
        }
        String node = nodeId != null ? nodeId : hostName();
        // spec, NodeGetInfoResponse.node_id: at most 256 bytes
        if (node.isBlank() || node.getBytes(StandardCharsets.UTF_8).length > 256) {
            throw new UsageException("--node-id must be 1 to 256 bytes");
        }
        Optional<Path> poolDir = mode.ownsPool()
                ? Optional.of(Path.of(pool != null ? pool : DEFAULT_POOL).toAbsolutePath().normalize())
                : Optional.empty();
        return new LaunchConfig(mode, endpoint, driverName, node, poolDir, logLevel, demo,
                Path.of(DEFAULT_KUBELET_DIR), Path.of(DEFAULT_STATE_DIR), OptionalLong.empty(), DEFAULT_MAX_VOLUMES,
                DEFAULT_MAX_SPLITS, FuseTransport.AUTO, Optional.empty(), ClusterOptions.defaults(), false, Optional.empty());
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
