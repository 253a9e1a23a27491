package dev.vdisk.launcher;

import ch.qos.logback.classic.Level;
import csi.v1.PluginCapability;
import dev.vdisk.controller.agents.NodeAgents;
import dev.vdisk.controller.metadata.OffsetOutOfRangeException;
import dev.vdisk.controller.service.CapacityOutOfRangeException;
import dev.vdisk.controller.service.InvalidPageTokenException;
import dev.vdisk.controller.service.NoSuitableNodeException;
import dev.vdisk.controller.service.OperationPendingException;
import dev.vdisk.csi.server.BuildInfo;
import dev.vdisk.csi.server.CsiServer;
import dev.vdisk.csi.server.ErrorTranslation;
import dev.vdisk.csi.server.IdentityService;
import dev.vdisk.csi.server.StatusMapper;
import dev.vdisk.csi.server.metrics.CallMetricsInterceptor;
import dev.vdisk.csi.server.metrics.MetricsEndpoint;
import dev.vdisk.csi.server.metrics.ProcessRegistry;
import dev.vdisk.engine.io.PrivateFiles;
import dev.vdisk.kube.controller.ApiServerErrors;
import dev.vdisk.node.agent.AgentConfig;
import dev.vdisk.node.agent.AgentOptions;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.agent.VolumeBusyException;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.fuse.FuseTransport;
import dev.vdisk.node.handover.HolderClient;
import dev.vdisk.node.metrics.DataPathMetrics;
import dev.vdisk.node.metrics.NodeAgentMetrics;
import io.grpc.BindableService;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * {@code vdisk-csi <controller|node|standalone> [flags]}: parses the command line, serves the mode's CSI
 * services on one unix socket until SIGTERM/SIGINT, then stops gracefully. The flags: {@link LaunchCommandLine}.
 * {@code vdisk-csi fd-holder --socket PATH} runs the descriptor holder instead ({@link FdHolderCommand}).
 */
public final class Main {

    /** How long in-flight calls may run after SIGTERM; kubelet's default grace period is 30 s. */
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

    /** How long a node agent waits for its {@code --fd-holder} at start. */
    private static final Duration FD_HOLDER_WAIT = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) {
        CommandLine commandLine = LaunchCommandLine.create();
        ParseResult parsed;
        try {
            parsed = commandLine.parseArgs(args);
        } catch (ParameterException e) {
            System.err.println(LaunchCommandLine.usageError(e).line());
            System.exit(2);
            return;
        }
        Integer helped = CommandLine.executeHelpRequest(parsed);
        if (helped != null) {
            System.exit(helped);
        }
        LaunchConfig config;
        try {
            Optional<LaunchConfig> mode = LaunchCommandLine.config(parsed);
            if (mode.isEmpty() && parsed.hasSubcommand()) {
                System.exit(commandLine.execute(args)); // generate-completion
            }
            config = mode.orElseThrow(LaunchCommandLine::missingMode);
        } catch (UsageException e) {
            System.err.println(e.line());
            System.exit(2);
            return;
        }
        setLogLevel(config.logLevel());
        try {
            switch (config.mode()) {
                case FD_HOLDER -> FdHolderCommand.run(config.holderSocket().orElseThrow());
                case CONTROLLER, NODE, STANDALONE -> run(config);
            }
            System.exit(0);
        } catch (IllegalArgumentException e) {
            System.err.println(new UsageException(
                            LaunchCommandLine.PROGRAM + " " + config.mode().flagName(), e.getMessage())
                    .line());
            System.exit(2);
        } catch (Exception e) {
            LOG.error("vdisk-csi {} failed: {}", config.mode().flagName(), e.getMessage(), e);
            System.err.println("vdisk-csi: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * The holder at {@code --fd-holder}, waited for up to 10 s (what the agent's start finds in it decides between
     * taking the volumes over and a fresh mount); without one the client starts away and puts the agent's entries
     * into the holder once it is up, so that hand-over is on from then on.
     */
    private static Optional<HolderClient> connectFdHolder(LaunchConfig config) {
        return config.node().fdHolder().map(socket -> HolderClient.connectOrAway(socket, FD_HOLDER_WAIT));
    }

    private static void run(LaunchConfig config) throws IOException, InterruptedException {
        ShutdownSignal signal = ShutdownSignal.install();
        // one registry for the process, only with --metrics-listen; it goes to whatever records
        Optional<PrometheusMeterRegistry> metrics = config.metricsListen().map(a -> ProcessRegistry.create());
        // with a holder, FUSE runs over /dev/fuse: the kernel resends only requests read from /dev/fuse descriptors
        FuseTransport transport =
                config.node().fdHolder().isPresent() && config.node().fuseTransport() == FuseTransport.AUTO
                        ? FuseTransport.DEV
                        : config.node().fuseTransport();
        FuseConfig base = FuseConfig.defaults().withTransport(transport);
        FuseConfig fuse =
                metrics.map(r -> base.withObserver(new DataPathMetrics(r))).orElse(base);
        // controller mode: the node agents as resources, and leader election (needs a Kubernetes API)
        Optional<ControllerCluster> controller =
                config.mode() == Mode.CONTROLLER ? Optional.of(ControllerCluster.start(config)) : Optional.empty();
        Optional<NodeAgents> cluster = controller.map(ControllerCluster::agents);
        Optional<NodeAgent> agent = Optional.empty();
        Optional<HolderClient> holder = Optional.empty();
        if (config.pool().isPresent()) {
            preparePool(config.pool().get());
            holder = connectFdHolder(config);
            AgentConfig agentConfig = new AgentConfig(
                    config.pool().get(),
                    config.node().poolSize(),
                    config.node().stateDir(),
                    config.node().kubeletDir(),
                    config.nodeId(),
                    config.node().maxVolumes(),
                    fuse);
            AgentOptions options = AgentOptions.defaults()
                    .withMaxSplits(config.node().maxSplits())
                    .withAcceptJournalLoss(config.node().acceptJournalLoss())
                    .withMapCacheBytes(config.node().mapCacheBytes());
            try {
                agent = Optional.of(NodeAgent.start(agentConfig.withOptions(
                        holder.map(options::withDescriptors).orElse(options))));
            } catch (IOException | RuntimeException e) {
                holder.ifPresent(HolderClient::close);
                throw e;
            }
        }
        Optional<NodeCluster> nodeCluster = Optional.empty();
        try {
            if (config.mode() == Mode.NODE) {
                nodeCluster = NodeCluster.join(config, agent.orElseThrow());
            }
            if (metrics.isPresent()) {
                agent.ifPresent(a -> NodeAgentMetrics.bind(metrics.get(), a));
                // closed before the agent, so that no scrape reads a closed pool
                try (MetricsEndpoint endpoint =
                        MetricsEndpoint.start(config.metricsListen().get(), metrics.get())) {
                    serve(config, agent, cluster, signal, List.of(new CallMetricsInterceptor(metrics.get())));
                }
            } else {
                serve(config, agent, cluster, signal, List.of());
            }
        } finally {
            controller.ifPresent(ControllerCluster::close);
            nodeCluster.ifPresent(NodeCluster::close);
            agent.ifPresent(NodeAgent::close);
            holder.ifPresent(HolderClient::close);
            metrics.ifPresent(PrometheusMeterRegistry::close);
        }
    }

    private static void serve(
            LaunchConfig config,
            Optional<NodeAgent> agent,
            Optional<NodeAgents> cluster,
            ShutdownSignal signal,
            List<ServerInterceptor> observers)
            throws IOException, InterruptedException {
        AtomicBoolean ready = new AtomicBoolean();
        List<Mode.Served> served = config.mode().services(config, agent, cluster);
        List<PluginCapability> capabilities = Mode.capabilities(served);
        String version = BuildInfo.load().version();
        List<BindableService> services = new ArrayList<>();
        services.add(new IdentityService(config.driverName(), version, capabilities, ready::get));
        served.forEach(s -> services.add(s.service()));

        // agent failures map by their AgentReason inside StatusMapper; what else a plugin throws is registered here.
        // spec: "Operation pending for volume" -> ABORTED (node and controller locks); CreateVolume: "Unsupported
        // capacity_range" -> OUT_OF_RANGE, "Unable to provision in accessible_topology" -> RESOURCE_EXHAUSTED;
        // ListVolumes, ListSnapshots: "Invalid starting_token" -> ABORTED; GetMetadataAllocated/Delta: "Invalid
        // starting_offset" -> OUT_OF_RANGE
        StatusMapper mapper = new StatusMapper()
                .register(ErrorTranslation.of(VolumeBusyException.class, Status.Code.ABORTED))
                .register(ErrorTranslation.of(OperationPendingException.class, Status.Code.ABORTED))
                .register(ErrorTranslation.of(CapacityOutOfRangeException.class, Status.Code.OUT_OF_RANGE))
                .register(ErrorTranslation.of(NoSuitableNodeException.class, Status.Code.RESOURCE_EXHAUSTED))
                .register(ErrorTranslation.of(InvalidPageTokenException.class, Status.Code.ABORTED))
                .register(ErrorTranslation.of(OffsetOutOfRangeException.class, Status.Code.OUT_OF_RANGE))
                // cluster mode: an API server's refusal as one line, by HTTP code (422 INTERNAL, 403
                // FAILED_PRECONDITION, 409 ABORTED, 5xx and no answer UNAVAILABLE); see ApiServerErrors
                .register(new ApiServerErrors());
        CsiServer server = CsiServer.start(config.endpoint(), services, mapper, observers);
        // a second line of defence (e.g. System.exit elsewhere): shutdown is idempotent
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.shutdown(SHUTDOWN_GRACE), "vdisk-shutdown"));
        ready.set(true);
        LOG.info(
                "vdisk-csi {} {} ready: driver {}, node {}{}, endpoint {}",
                version,
                config.mode().flagName(),
                config.driverName(),
                config.nodeId(),
                config.pool().map(p -> ", pool " + p).orElse(""),
                config.endpoint());

        if (config.demo()) {
            new DemoTour(config, System.out).run();
        }
        String why = signal.await();
        LOG.info("{} received", why);
        server.shutdown(SHUTDOWN_GRACE);
    }

    /** The pool's directory; the node agent creates the pool inside it on first use. */
    private static void preparePool(Path pool) throws IOException {
        if (Files.exists(pool) && !Files.isDirectory(pool)) {
            throw new IOException("--pool " + pool + " exists and is not a directory");
        }
        PrivateFiles.createDirectories(pool);
    }

    private static void setLogLevel(String level) {
        if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(Level.toLevel(level, Level.INFO));
        }
    }
}
