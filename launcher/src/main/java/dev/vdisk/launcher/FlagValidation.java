package dev.vdisk.launcher;

import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.csi.server.Endpoint;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.kube.agentapi.AgentTrust;
import dev.vdisk.kube.agentapi.ServingCertificate;
import dev.vdisk.node.fuse.FuseTransport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Turns the flags picocli parsed into a {@link LaunchConfig}: the checks a type cannot make (values in range, flags
 * that need each other, loopback without TLS), each a one-line {@link UsageException}. A group of flags the mode does
 * not have is null here and stands for its defaults.
 */
final class FlagValidation {

    private static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");

    private FlagValidation() {}

    /** The configuration of a CSI mode (controller, node, standalone). */
    static LaunchConfig config(
            Mode mode,
            CsiFlags csi,
            LogFlag log,
            PoolFlags pool,
            KubeconfigFlag kube,
            ControllerFlags controller,
            AgentClientFlags agentClient,
            AgentApiFlags api,
            boolean demo)
            throws UsageException {
        PoolFlags p = pool != null ? pool : new PoolFlags();
        ControllerFlags c = controller != null ? controller : new ControllerFlags();
        AgentClientFlags ac = agentClient != null ? agentClient : new AgentClientFlags();
        AgentApiFlags a = api != null ? api : new AgentApiFlags();
        ClusterOptions defaults = ClusterOptions.defaults();
        String leaderNamespace = c.leaderNamespace != null ? c.leaderNamespace : defaults.leaderNamespace();
        String leaderId = c.leaderId != null ? c.leaderId : defaults.leaderId();
        String tokenFile =
                ac.tokenFile != null ? ac.tokenFile : defaults.tokenFile().toString();
        String kubeTimeout = c.kubeTimeout != null
                ? c.kubeTimeout
                : Long.toString(defaults.kubeTimeout().toSeconds());
        if (p.poolSize != null && p.poolSize.bytes() <= 0) {
            throw new UsageException(
                    "--pool-size must be a positive size like 512M, 100G or 2T; got '" + p.poolSize.bytes() + "'");
        }
        Common common = validate(
                mode, csi.endpoint, csi.driverName, csi.nodeId, pool == null ? null : pool.pool, log.logLevel, demo);
        Path kubeletDir = directory("--kubelet-dir", orDefault(p.kubeletDir, PoolFlags.DEFAULT_KUBELET_DIR));
        Path stateDir = directory("--state-dir", orDefault(p.stateDir, PoolFlags.DEFAULT_STATE_DIR));
        OptionalLong poolSize = p.poolSize == null ? OptionalLong.empty() : OptionalLong.of(p.poolSize.bytes());
        int maxVolumes = count("--max-volumes", orDefault(p.maxVolumes, "" + PoolFlags.DEFAULT_MAX_VOLUMES));
        int maxSplits = count("--max-splits", orDefault(p.maxSplits, "" + PoolFlags.DEFAULT_MAX_SPLITS));
        FuseTransport fuseTransport = transport(orDefault(p.fuseTransport, "auto"));
        Optional<InetSocketAddress> metrics =
                csi.metricsListen == null ? Optional.empty() : Optional.of(listenAddress(csi.metricsListen));
        ClusterOptions cluster = cluster(
                        leaderNamespace,
                        leaderId,
                        tokenFile,
                        kubeTimeout,
                        kube == null ? null : kube.kubeconfig,
                        a.listen,
                        a.address,
                        a.clientSa)
                .withAgentTls(
                        certificate(a.listen, a.tlsCert, a.tlsKey),
                        trust(ac.caFile, ac.serverName, defaults.leaderNamespace()))
                .withAgentPeer(
                        peerAccount(a.peerSa, a.listen), a.replicationRate == null ? 0 : a.replicationRate.bytes());
        NodeOptions node = new NodeOptions(
                kubeletDir,
                stateDir,
                poolSize,
                mapCacheBytes(p.mapCacheSize),
                maxVolumes,
                maxSplits,
                fuseTransport,
                p.acceptJournalLoss,
                fdHolder(p.fdHolder, orDefault(p.fuseTransport, "auto")));
        return common.config(node, metrics, cluster, Optional.empty());
    }

    /** {@code --map-cache-size}: at least the engine's minimum. */
    private static long mapCacheBytes(ByteSize size) throws UsageException {
        if (size == null) {
            return PoolOptions.DEFAULT_MAP_CACHE_BYTES;
        }
        if (size.bytes() < PoolOptions.MIN_MAP_CACHE_BYTES) {
            throw new UsageException("--map-cache-size must be at least 1M (the maps' blocks then mostly come from"
                    + " disk); got " + size.bytes() + " bytes");
        }
        return size.bytes();
    }

    /** {@code --fd-holder}: FUSE over io_uring cannot be handed over (the kernel resends only /dev/fuse requests). */
    private static Optional<Path> fdHolder(Path socket, String fuseTransport) throws UsageException {
        if (socket == null) {
            return Optional.empty();
        }
        if (fuseTransport.equals("uring")) {
            throw new UsageException("--fuse-transport uring cannot be used with --fd-holder: requests a dead process"
                    + " read through io_uring are never sent again; use --fuse-transport dev or auto");
        }
        return Optional.of(directory("--fd-holder", socket.toString()));
    }

    /** The configuration of fd-holder mode: its socket and log level; the rest are the defaults, unused. */
    static LaunchConfig holder(Path socket, LogFlag log) throws UsageException {
        if (!LOG_LEVELS.contains(log.logLevel)) {
            throw new UsageException(
                    "--log-level must be one of trace, debug, info, warn, error; got '" + log.logLevel + "'");
        }
        return validate(
                        Mode.FD_HOLDER,
                        CsiFlags.DEFAULT_ENDPOINT,
                        CsiFlags.DEFAULT_DRIVER_NAME,
                        null,
                        null,
                        log.logLevel,
                        false)
                .config(
                        NodeOptions.defaults(),
                        Optional.empty(),
                        ClusterOptions.defaults(),
                        Optional.of(socket.toAbsolutePath().normalize()));
    }

    private static String orDefault(String value, String dflt) {
        return value != null ? value : dflt;
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
        return Optional.of(
                new ServingCertificate(directory("--agent-tls-cert", cert), directory("--agent-tls-key", key)));
    }

    /** {@code --agent-peer-sa}: a service account, and only with an internal API (peers pull from it). */
    private static Optional<String> peerAccount(String peerSa, String agentListen) throws UsageException {
        if (peerSa == null) {
            return Optional.empty();
        }
        if (agentListen == null) {
            throw new UsageException("--agent-peer-sa needs --agent-listen: other node agents pull replicas from this"
                    + " node's internal API");
        }
        if (!peerSa.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?")) {
            throw new UsageException("--agent-peer-sa must be NAMESPACE:SERVICEACCOUNT; got '" + peerSa + "'");
        }
        return Optional.of(peerSa);
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
        return Optional.of(new AgentTrust(
                directory("--agent-ca-file", caFile),
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
            return host.matches("[0-9.]+|[0-9a-fA-F:]+")
                    && InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static ClusterOptions cluster(
            String leaderNamespace,
            String leaderId,
            String tokenFile,
            String kubeTimeout,
            String kubeconfig,
            String agentListen,
            String agentAddress,
            String agentClientSa)
            throws UsageException {
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
            throw new UsageException(
                    (agentAddress != null ? "--agent-address" : "--agent-client-sa") + " needs --agent-listen");
        }
        if (agentAddress != null) {
            hostPort("--agent-address", agentAddress);
        }
        if (agentClientSa != null
                && !agentClientSa.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?")) {
            throw new UsageException("--agent-client-sa must be NAMESPACE:SERVICEACCOUNT; got '" + agentClientSa + "'");
        }
        return new ClusterOptions(
                leaderNamespace,
                leaderId,
                directory("--agent-token-file", tokenFile),
                Duration.ofSeconds(count("--kube-timeout", kubeTimeout)),
                kubeconfig == null ? Optional.empty() : Optional.of(directory("--kubeconfig", kubeconfig)),
                Optional.ofNullable(agentListen),
                Optional.ofNullable(agentAddress == null ? agentListen : agentAddress),
                Optional.ofNullable(agentClientSa),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                0);
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
        String usage =
                "--metrics-listen must be HOST:PORT, e.g. 0.0.0.0:9808, [::1]:9808 or :9808; got '" + value + "'";
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

    private static Common validate(
            Mode mode, String endpointUri, String driverName, String nodeId, String pool, String logLevel, boolean demo)
            throws UsageException {
        Endpoint endpoint;
        try {
            endpoint = Endpoint.parse(endpointUri);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--endpoint: " + e.getMessage());
        }
        if (!LOG_LEVELS.contains(logLevel)) {
            throw new UsageException(
                    "--log-level must be one of trace, debug, info, warn, error; got '" + logLevel + "'");
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
                ? Optional.of(Path.of(pool != null ? pool : PoolFlags.DEFAULT_POOL)
                        .toAbsolutePath()
                        .normalize())
                : Optional.empty();
        return new Common(mode, endpoint, driverName, node, poolDir, logLevel, demo);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** The settings every mode has, checked before the rest; {@link #config} is the one place a config is made. */
    private record Common(
            Mode mode,
            Endpoint endpoint,
            String driverName,
            String nodeId,
            Optional<Path> pool,
            String logLevel,
            boolean demo) {

        LaunchConfig config(
                NodeOptions node,
                Optional<InetSocketAddress> metricsListen,
                ClusterOptions cluster,
                Optional<Path> holderSocket) {
            return new LaunchConfig(
                    mode,
                    endpoint,
                    driverName,
                    nodeId,
                    pool,
                    logLevel,
                    demo,
                    node,
                    metricsListen,
                    cluster,
                    holderSocket);
        }
    }
}
