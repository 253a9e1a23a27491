package dev.vdisk.kube.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vdisk.kube.agentapi.ServiceAccountName;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The launcher's flags as the node agent reads them; the internal API never listens without an allowed account. */
class NodeClusterConfigTest {

    @Test
    void flagsParse() {
        NodeClusterConfig c = NodeClusterConfig.of("n1", "0.0.0.0:9810", "10.0.0.5:9810", "kube-system:vdisk-ctl");
        assertEquals(9810, c.agentListen().getPort());
        assertEquals("0.0.0.0", c.agentListen().getHostString());
        assertEquals(new ServiceAccountName("kube-system", "vdisk-ctl"), c.agentClient());
        assertEquals(
                "system:serviceaccount:kube-system:vdisk-ctl", c.agentClient().username());
        assertEquals(NodeClusterConfig.DEFAULT_AUDIENCE, c.agentApiAudience());
        assertEquals(Duration.ofSeconds(10), c.heartbeatInterval());
        assertEquals(9810, NodeClusterConfig.hostPort("[::1]:9810").getPort());
        assertNull(NodeClusterConfig.of("n1", null, null, null).agentListen(), "no internal API");
    }

    @Test
    void refusals() {
        assertThrows(
                IllegalArgumentException.class,
                () -> NodeClusterConfig.of("n1", "0.0.0.0:9810", "a:1", null),
                "never listen without an allowed account");
        assertThrows(
                IllegalArgumentException.class,
                () -> NodeClusterConfig.of("n1", "0.0.0.0:9810", null, "a:b"),
                "never listen where the controller cannot find it");
        assertThrows(IllegalArgumentException.class, () -> NodeClusterConfig.of("", null, null, null));
        assertThrows(IllegalArgumentException.class, () -> NodeClusterConfig.hostPort("9810"));
        assertThrows(IllegalArgumentException.class, () -> NodeClusterConfig.hostPort("h:99999"));
        assertThrows(IllegalArgumentException.class, () -> NodeClusterConfig.hostPort("h:x"));
        assertThrows(IllegalArgumentException.class, () -> ServiceAccountName.parse("just-a-name"));
        assertThrows(IllegalArgumentException.class, () -> ServiceAccountName.parse("a:b:c"));
        assertThrows(IllegalArgumentException.class, () -> ServiceAccountName.parse(":b"));
    }
}
