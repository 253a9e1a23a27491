package dev.vdisk.kube.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerModifyVolumeRequest;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeGroupSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeGroupSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.Volume;
import csi.v1.VolumeContentSource;
import csi.v1.VolumeGroupSnapshot;
import dev.vdisk.controller.service.CloneSplitHook;
import dev.vdisk.controller.service.ControllerService;
import dev.vdisk.controller.service.GroupControllerService;
import dev.vdisk.kube.access.Component;
import dev.vdisk.kube.access.RecordedAccess;
import dev.vdisk.kube.node.NodeClusterAgent;
import dev.vdisk.kube.node.NodeClusterConfig;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.node.agent.AgentConfig;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.Privileged;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole cluster path on one machine: the real Controller and GroupController services over
 * {@link ResourceNodeAgents}, the real node agent's reconciler ({@link NodeClusterAgent}) on a real pool, the mock API
 * server (CRUD mode, generated CRDs) between them. What CSI asks ends up in the pool, and only there.
 */
@ExtendWith(Privileged.class)
@EnableKubernetesMockClient(crud = true)
class ControllerWithRealNodeAgentTest {

    static final long MIB = 1 << 20;
    static final String UA = "vdisk-controller-it";

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void createSnapshotCloneExpandModifyGroupAndDeleteEndInThePool() throws Exception {
        installCrds();
        KubernetesClient nodeClient = server.createClient(b -> b.withConfig(new ConfigBuilder(client.getConfiguration())
                .withUserAgent("vdisk-node")
                .build()));
        KubernetesClient controllerClient = server.createClient(b -> b.withConfig(
                new ConfigBuilder(client.getConfiguration()).withUserAgent(UA).build()));
        NodeAgent agent = NodeAgent.start(new AgentConfig(
                dir.resolve("pool"),
                OptionalLong.of(256 * MIB),
                dir.resolve("state"),
                dir.resolve("kubelet"),
                "n1",
                4,
                FuseConfig.defaults().withWorkers(2)));
        try (controllerClient;
                nodeClient;
                agent;
                NodeClusterAgent cluster = NodeClusterAgent.start(
                        nodeClient,
                        NodeClusterConfig.of("n1", null, null, null)
                                .withIntervals(Duration.ofMillis(500), Duration.ofMillis(200), Duration.ofMinutes(5)),
                        agent)) {
            awaitNode(controllerClient);
            ResourceNodeAgents agents = new ResourceNodeAgents(
                    controllerClient, Duration.ofSeconds(30), new ControllerOverResourcesTest.NoExtents());
            ControllerService controller = new ControllerService(agents, CloneSplitHook.startingOn(agents));
            GroupControllerService groups = new GroupControllerService(agents);
            RecordedAccess.drain(server);

            long t0 = System.nanoTime();
            Volume source = Csi.call(controller::createVolume, create("pvc-src", 16 * MIB))
                    .getVolume();
            System.out.println("CreateVolume through the resource and the real node agent: "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            assertEquals(
                    16 * MIB,
                    agent.getVolume(source.getVolumeId()).orElseThrow().sizeBytes());

            var snap = Csi.call(
                            controller::createSnapshot,
                            CreateSnapshotRequest.newBuilder()
                                    .setName("snap-1")
                                    .setSourceVolumeId(source.getVolumeId())
                                    .build())
                    .getSnapshot();
            assertEquals(
                    source.getVolumeId(),
                    agent.getSnapshot(snap.getSnapshotId()).orElseThrow().sourceVolumeId());

            Volume clone = Csi.call(
                            controller::createVolume,
                            create("pvc-clone", 16 * MIB).toBuilder()
                                    .setVolumeContentSource(VolumeContentSource.newBuilder()
                                            .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                                    .setSnapshotId(snap.getSnapshotId())))
                                    .build())
                    .getVolume();
            assertEquals(1, agent.chainDepth(clone.getVolumeId()));

            assertEquals(
                    32 * MIB,
                    Csi.call(
                                    controller::controllerExpandVolume,
                                    ControllerExpandVolumeRequest.newBuilder()
                                            .setVolumeId(source.getVolumeId())
                                            .setCapacityRange(
                                                    CapacityRange.newBuilder().setRequiredBytes(32 * MIB))
                                            .build())
                            .getCapacityBytes());
            assertEquals(
                    32 * MIB,
                    agent.getVolume(source.getVolumeId()).orElseThrow().sizeBytes());

            Csi.call(
                    controller::controllerModifyVolume,
                    ControllerModifyVolumeRequest.newBuilder()
                            .setVolumeId(source.getVolumeId())
                            .putMutableParameters("maxIops", "300")
                            .build());
            assertEquals(
                    "300",
                    agent.getVolume(source.getVolumeId())
                            .orElseThrow()
                            .attributes()
                            .get("maxIops"));
            assertEquals(
                    2,
                    Csi.call(controller::listVolumes, ListVolumesRequest.getDefaultInstance())
                            .getEntriesCount());
            assertEquals(
                    32 * MIB,
                    Csi.call(
                                    controller::controllerGetVolume,
                                    ControllerGetVolumeRequest.newBuilder()
                                            .setVolumeId(source.getVolumeId())
                                            .build())
                            .getVolume()
                            .getCapacityBytes());

            VolumeGroupSnapshot g = Csi.call(
                            groups::createVolumeGroupSnapshot,
                            CreateVolumeGroupSnapshotRequest.newBuilder()
                                    .setName("group-1")
                                    .addSourceVolumeIds(source.getVolumeId())
                                    .addSourceVolumeIds(clone.getVolumeId())
                                    .build())
                    .getGroupSnapshot();
            assertEquals(2, g.getSnapshotsCount());
            for (var s : g.getSnapshotsList()) {
                assertEquals(
                        g.getGroupSnapshotId(),
                        agent.getSnapshot(s.getSnapshotId()).orElseThrow().groupId());
            }
            Csi.call(
                    groups::deleteVolumeGroupSnapshot,
                    DeleteVolumeGroupSnapshotRequest.newBuilder()
                            .setGroupSnapshotId(g.getGroupSnapshotId())
                            .build());
            Csi.call(
                    controller::deleteSnapshot,
                    DeleteSnapshotRequest.newBuilder()
                            .setSnapshotId(snap.getSnapshotId())
                            .build());
            Csi.call(
                    controller::deleteVolume,
                    DeleteVolumeRequest.newBuilder()
                            .setVolumeId(clone.getVolumeId())
                            .build());
            Csi.call(
                    controller::deleteVolume,
                    DeleteVolumeRequest.newBuilder()
                            .setVolumeId(source.getVolumeId())
                            .build());

            assertEquals(List.of(), agent.listVolumes());
            assertEquals(List.of(), agent.listSnapshots());
            assertEquals(
                    List.of(),
                    controllerClient.resources(VdiskVolume.class).list().getItems());
            var seen = RecordedAccess.assertDeclared(server, Component.CONTROLLER, UA);
            assertTrue(
                    seen.contains(new RecordedAccess.Access(ResourceKeys.GROUP, "vdiskgroupsnapshots", "create")),
                    seen.toString());
        }
    }

    private static CreateVolumeRequest create(String name, long bytes) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(ControllerOverResourcesTest.MOUNT)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                .build();
    }

    private static void awaitNode(KubernetesClient c) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (c.resources(VdiskNode.class).withName("n1").get() == null
                || c.resources(VdiskNode.class).withName("n1").get().getStatus() == null) {
            assertTrue(System.nanoTime() < deadline, "node n1 published its VdiskNode");
            Thread.sleep(50);
        }
    }

    /** The generated CRDs, so that the mock server keeps status and spec apart as a real API server does. */
    private void installCrds() throws IOException {
        for (String plural : List.of("vdiskvolumes", "vdisksnapshots", "vdiskgroupsnapshots", "vdisknodes")) {
            try (InputStream in = getClass()
                    .getResourceAsStream("/META-INF/fabric8/" + plural + "." + ResourceKeys.GROUP + "-v1.yml")) {
                if (in == null) {
                    throw new IOException("generated CRD of " + plural + " not on the classpath");
                }
                client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .resource(client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class))
                        .create();
            }
        }
    }
}
