package dev.vdisk.kube.split;

import static dev.vdisk.kube.split.SplitFixture.NS;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.SplitRequest;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A controller that is not the leader never starts the split controller: requests and annotations stay untouched. */
@EnableKubernetesMockClient(crud = true)
class NonLeaderTest {

    KubernetesMockServer server;
    KubernetesClient client;
    SplitFixture fx;

    @BeforeEach
    void setUp() {
        fx = new SplitFixture(server, client);
        fx.volume("vol-db", "snap-1");
        fx.boundPvc("db", "vol-db", SplitFixture.DRIVER);
        fx.volume("vol-web", "snap-1");
        fx.boundPvc("web", "vol-web", SplitFixture.DRIVER);
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    @Test
    void nothingHappensWithoutTheLeader() {
        fx.createRequest("split-db", "db", "copy", null);
        fx.run(() -> client.persistentVolumeClaims()
                .inNamespace(NS)
                .withName("web")
                .edit(p -> {
                    p.getMetadata().setAnnotations(Map.of(ResourceKeys.SPLIT_ANNOTATION, "share"));
                    return p;
                }));
        fx.run(() -> ResourceTriggeredSplitTest.sleep(1500));

        SplitRequest r = fx.request("split-db");
        assertNull(r.getStatus());
        assertTrue(r.getMetadata().getFinalizers().isEmpty());
        assertNull(fx.request("web-split"));
        assertNull(fx.vdiskVolume("vol-db").getSpec().split());
        assertNull(fx.vdiskVolume("vol-web").getSpec().split());
        assertTrue(fx.events("db").isEmpty() && fx.events("web").isEmpty());
    }
}
