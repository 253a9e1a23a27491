package dev.vdisk.kube.split;

import static dev.vdisk.kube.split.SplitFixture.NS;
import static dev.vdisk.kube.split.SplitFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request whose PVC does not lead to a clone of ours says why in its conditions: Pending while the PVC may still
 * come (PvcNotFound, PvcNotBound), Failed when it never will (NotVdiskVolume, NotAClone).
 */
@EnableKubernetesMockClient(crud = true)
class UnsplittablePvcTest {

    KubernetesMockServer server;
    KubernetesClient client;
    SplitFixture fx;

    @BeforeEach
    void setUp() {
        fx = new SplitFixture(server, client);
        fx.startController();
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    @Test
    void missingThenUnboundThenBoundPvc() {
        fx.createRequest("split-later", "later", "share", null);
        await(
                "PvcNotFound",
                () -> "PvcNotFound".equals(acceptedReason("split-later")),
                () -> fx.request("split-later"));
        assertEquals(
                SplitRequestPhase.Pending, fx.request("split-later").getStatus().phase());

        fx.run(() -> client.persistentVolumeClaims()
                .inNamespace(NS)
                .resource(SplitFixture.claim("later", null))
                .create());
        await(
                "PvcNotBound",
                () -> "PvcNotBound".equals(acceptedReason("split-later")),
                () -> fx.request("split-later"));
        assertEquals(
                SplitRequestPhase.Pending, fx.request("split-later").getStatus().phase());

        // the provisioner binds it: the request goes on by itself
        fx.volume("vol-later", "snap-1");
        fx.run(() -> {
            client.persistentVolumeClaims().inNamespace(NS).withName("later").delete();
            await(
                    "old claim gone",
                    () -> client.persistentVolumeClaims()
                                    .inNamespace(NS)
                                    .withName("later")
                                    .get()
                            == null,
                    () -> "");
        });
        fx.boundPvc("later", "vol-later", SplitFixture.DRIVER);
        await("accepted", () -> "Accepted".equals(acceptedReason("split-later")), () -> fx.request("split-later"));
        assertEquals("vol-later", fx.request("split-later").getStatus().volumeId());
    }

    @Test
    void otherDriversVolume() {
        fx.boundPvc("nfs", "nfs-server:/export", "nfs.csi.k8s.io");
        fx.createRequest("split-nfs", "nfs", "copy", null);
        await("failed", () -> phase("split-nfs") == SplitRequestPhase.Failed, () -> fx.request("split-nfs"));
        SplitRequestStatus s = fx.request("split-nfs").getStatus();
        assertEquals("NotVdiskVolume", condition(s, "Failed").getReason());
        assertEquals("NotVdiskVolume", condition(s, "Accepted").getReason());
        assertEquals(
                "PVC team-a/nfs is bound to PV pv-nfs, which is not a vdisk.csi.dev volume (its CSI driver is "
                        + "nfs.csi.k8s.io)",
                condition(s, "Failed").getMessage());
    }

    @Test
    void independentVolumeIsNotAClone() {
        fx.volume("vol-plain", null);
        fx.boundPvc("plain", "vol-plain", SplitFixture.DRIVER);
        fx.createRequest("split-plain", "plain", "share", null);
        await("failed", () -> phase("split-plain") == SplitRequestPhase.Failed, () -> fx.request("split-plain"));
        assertEquals(
                "NotAClone",
                condition(fx.request("split-plain").getStatus(), "Failed").getReason());
        assertNull(fx.vdiskVolume("vol-plain").getSpec().split(), "nothing asked of the node");
        await("warning event", () -> fx.eventReasons("plain").contains("SplitFailed"), () -> fx.eventReasons("plain"));
    }

    private String acceptedReason(String name) {
        SplitRequest r = fx.request(name);
        Condition c = r == null || r.getStatus() == null ? null : condition(r.getStatus(), "Accepted");
        return c == null ? null : c.getReason();
    }

    private SplitRequestPhase phase(String name) {
        SplitRequest r = fx.request(name);
        return r == null || r.getStatus() == null ? null : r.getStatus().phase();
    }

    private static Condition condition(SplitRequestStatus s, String type) {
        return ResourceTriggeredSplitTest.condition(s, type);
    }
}
