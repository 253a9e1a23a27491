package dev.vdisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LeaderIdentityTest {

    @Test
    void inAPodTheIdentityIsThePodName() {
        assertEquals(
                "vdisk-csi-controller-7d9f-abcde",
                LeaderIdentity.of(
                        Map.of("POD_NAME", "vdisk-csi-controller-7d9f-abcde", "HOSTNAME", "x"),
                        Optional.of("y"),
                        new Random(1)));
    }

    @Test
    void twoReplicasOnOneHostWithoutPodNameGetDifferentIdentities() {
        String a = LeaderIdentity.of(Map.of(), Optional.of("worker-1\n"), new Random(1));
        String b = LeaderIdentity.of(Map.of(), Optional.of("worker-1\n"), new Random(2));
        assertTrue(a.matches("worker-1-[0-9a-f]{8}"), a);
        assertNotEquals(a, b);
        assertTrue(LeaderIdentity.of(Map.of("HOSTNAME", "pod-host"), Optional.empty(), new Random(1))
                .startsWith("pod-host-"));
    }

    @Test
    void withoutAnyHostNameTheIdentityIsNeverASharedConstant() {
        String a = LeaderIdentity.of(Map.of("POD_NAME", " "), Optional.empty(), new Random(1));
        String b = LeaderIdentity.of(Map.of(), Optional.of(""), new Random(2));
        assertTrue(a.matches("vdisk-csi-controller-[0-9a-f]{8}"), a);
        assertNotEquals(a, b);
        assertNotEquals("localhost", a);
    }
}
