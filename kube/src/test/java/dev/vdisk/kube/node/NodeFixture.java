package dev.vdisk.kube.node;

import dev.vdisk.kube.access.Component;
import dev.vdisk.kube.access.RecordedAccess;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.SplitSpec;
import dev.vdisk.kube.resource.VdiskGroupSnapshot;
import dev.vdisk.kube.resource.VdiskGroupSnapshotSpec;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshotSpec;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeSpec;
import dev.vdisk.kube.testing.Await;
import dev.vdisk.node.agent.AgentConfig;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.agent.StagedVolume;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.LeakCheck;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A node agent in a cluster for tests: a real {@link NodeAgent} on a real pool in {@code dir} (FUSE, loop devices),
 * joined to the fabric8 mock API server (CRUD mode, with the generated CRDs so the status subresource and generations
 * behave as on a real API server). {@link #restart} stops the cluster side and the agent and starts both again on the
 * same pool and state.
 */
final class NodeFixture implements AutoCloseable {
    static final long MIB = 1 << 20;
    static final String NODE = "n1";
    static final long POOL_BYTES = 256 * MIB;

    /** User agent of the node agent's client: tells its requests from the test's on the mock server. */
    static final String USER_AGENT = "vdisk-node";

    final KubernetesMockServer server;
    /** The test's own client (creates specs, reads status). */
    final KubernetesClient client;
    /** The node agent's client. */
    final KubernetesClient nodeClient;

    final Path dir;
    NodeAgent agent;
    NodeClusterAgent cluster;
    private final NodeClusterConfig config;

    NodeFixture(KubernetesMockServer server, KubernetesClient client, Path dir) throws IOException {
        this(server, client, dir, NodeClusterConfig.of(NODE, null, null, null));
    }

    NodeFixture(KubernetesMockServer server, KubernetesClient client, Path dir, NodeClusterConfig config)
            throws IOException {
        this.server = server;
        this.client = client;
        this.nodeClient = server.createClient(b -> b.withConfig(new ConfigBuilder(client.getConfiguration())
                .withUserAgent(USER_AGENT)
                .build()));
        this.dir = dir;
        this.config = config.withIntervals(Duration.ofMillis(500), Duration.ofMillis(200), Duration.ofMinutes(5));
        installCrds(client);
        start();
    }

    static void installCrds(KubernetesClient client) throws IOException {
        for (String plural : List.of("vdiskvolumes", "vdisksnapshots", "vdiskgroupsnapshots", "vdisknodes")) {
            try (InputStream in = NodeFixture.class.getResourceAsStream(
                    "/META-INF/fabric8/" + plural + "." + ResourceKeys.GROUP + "-v1.yml")) {
                if (in == null) {
                    throw new IOException("generated CRD of " + plural + " not on the classpath");
                }
                CustomResourceDefinition crd =
                        client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
                if (client.apiextensions()
                                .v1()
                                .customResourceDefinitions()
                                .withName(crd.getMetadata().getName())
                                .get()
                        == null) {
                    client.apiextensions()
                            .v1()
                            .customResourceDefinitions()
                            .resource(crd)
                            .create();
                }
            }
        }
    }

    private void start() throws IOException {
        agent = NodeAgent.start(new AgentConfig(
                dir.resolve("pool"),
                OptionalLong.of(POOL_BYTES),
                dir.resolve("state"),
                dir.resolve("kubelet"),
                NODE,
                4,
                FuseConfig.defaults().withWorkers(2)));
        try {
            cluster = NodeClusterAgent.start(nodeClient, config, agent);
        } catch (IOException | RuntimeException e) {
            agent.close();
            throw e;
        }
    }

    void restart() throws IOException {
        cluster.close();
        agent.close();
        start();
    }

    VdiskVolume createVolume(String name, long size, String source, Map<String, String> attributes, SplitSpec split) {
        VdiskVolume v = new VdiskVolume();
        v.setMetadata(new ObjectMetaBuilder()
                .withName(name)
                .addToLabels(ResourceKeys.NODE_LABEL, NODE)
                .build());
        v.setSpec(new VdiskVolumeSpec(NODE, size, source, attributes, split));
        return client.resources(VdiskVolume.class).resource(v).create();
    }

    VdiskSnapshot createSnapshot(String name, String source) {
        VdiskSnapshot s = new VdiskSnapshot();
        s.setMetadata(new ObjectMetaBuilder()
                .withName(name)
                .addToLabels(ResourceKeys.NODE_LABEL, NODE)
                .build());
        s.setSpec(new VdiskSnapshotSpec(NODE, source));
        return client.resources(VdiskSnapshot.class).resource(s).create();
    }

    VdiskGroupSnapshot createGroup(String name, Map<String, String> members) {
        VdiskGroupSnapshot g = new VdiskGroupSnapshot();
        g.setMetadata(new ObjectMetaBuilder()
                .withName(name)
                .addToLabels(ResourceKeys.NODE_LABEL, NODE)
                .build());
        g.setSpec(new VdiskGroupSnapshotSpec(NODE, members));
        return client.resources(VdiskGroupSnapshot.class).resource(g).create();
    }

    VdiskVolume volume(String name) {
        return client.resources(VdiskVolume.class).withName(name).get();
    }

    VdiskSnapshot snapshot(String name) {
        return client.resources(VdiskSnapshot.class).withName(name).get();
    }

    VdiskGroupSnapshot group(String name) {
        return client.resources(VdiskGroupSnapshot.class).withName(name).get();
    }

    /** Waits up to 20 s for {@code condition}; fails with {@code what} and its last value. */
    static void await(String what, BooleanSupplier condition, Supplier<Object> shown) {
        Await.until(what, Duration.ofSeconds(20), condition, shown);
    }

    /** Writes {@code data} at offset 0 of the volume through its loop device (staged as a block volume meanwhile). */
    void write(String volumeId, byte[] data) throws IOException {
        StagedVolume staged = new StagedVolume(
                volumeId,
                agent.config().kubeletDir().resolve("s-" + volumeId),
                true,
                "",
                List.of(),
                "SINGLE_NODE_WRITER",
                Map.of());
        try (var held = agent.locks().lock(volumeId)) {
            agent.staging().stage(staged);
            agent.staged().put(staged);
        }
        try {
            int loop = agent.attached(volumeId).orElseThrow().loopNumber();
            try (FileChannel ch = FileChannel.open(Path.of("/dev/loop" + loop), StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) {
                    ch.write(b, b.position());
                }
                ch.force(true);
            }
        } finally {
            try (var held = agent.locks().lock(volumeId)) {
                agent.staging().unstage(staged, false);
                agent.staged().remove(volumeId);
            }
        }
    }

    /** Stops both; then checks nothing is left mounted and every API request the node made is in NodeAccess. */
    @Override
    public void close() throws IOException {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            try {
                if (agent != null) {
                    agent.close();
                }
            } finally {
                nodeClient.close();
                LeakCheck.unmountAllUnder(dir);
                LeakCheck.assertNothingLeftUnder(dir);
            }
        }
        RecordedAccess.assertDeclared(server, Component.NODE, USER_AGENT);
    }
}
