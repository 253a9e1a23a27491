package dev.vdisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

    @Test
    void parsesUnixUri() {
        Endpoint endpoint = Endpoint.parse("unix:///run/vdisk/csi.sock");
        assertEquals(Path.of("/run/vdisk/csi.sock"), endpoint.socketPath());
        assertEquals("unix:///run/vdisk/csi.sock", endpoint.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/run/csi.sock", "tcp://127.0.0.1:10000", "unix://", "unix://relative/csi.sock", "unix:/x"})
    void refusesAnythingElse(String uri) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(uri));
        assertTrue(e.getMessage().contains(uri), e.getMessage());
    }
}
