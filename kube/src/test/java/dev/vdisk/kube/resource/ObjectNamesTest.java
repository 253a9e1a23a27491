package dev.vdisk.kube.resource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ObjectNamesTest {

    /** apimachinery IsDNS1123Subdomain. */
    private static final Pattern SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private static boolean valid(String name) {
        return name.length() <= 253 && SUBDOMAIN.matcher(name).matches();
    }

    @Test
    void aShortNameKeepsItsSuffix() {
        assertEquals("data-clone-split", ObjectNames.withSuffix("data-clone", "-split"));
        assertEquals("pvc-1.18c2f3a", ObjectNames.withSuffix("pvc-1", ".18c2f3a"));
    }

    /** A PVC name may have 253 characters; its split request and its Events were 422 before (issue 16). */
    @Test
    void aLongNameIsCutToAValidDistinctName() {
        for (int dot = 225; dot < 253; dot++) {
            String pvc = "a".repeat(dot) + "." + "b".repeat(252 - dot);
            for (String suffix : new String[] {"-split", ".18c2f3a6b7d", "-split-x7k2p"}) {
                String name = ObjectNames.withSuffix(pvc, suffix);
                assertTrue(valid(name), name);
                assertTrue(name.endsWith(suffix), name);
            }
        }
        String a = ObjectNames.withSuffix("x".repeat(253), "-split");
        String b = ObjectNames.withSuffix("x".repeat(252) + "y", "-split");
        assertNotEquals(a, b, "names that share the cut prefix still differ");
        assertTrue(valid(ObjectNames.withSuffix("-".repeat(0) + "1" + ".".repeat(0) + "2".repeat(252), "-split")));
    }
}
