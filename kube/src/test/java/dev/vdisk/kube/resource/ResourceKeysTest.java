package dev.vdisk.kube.resource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ResourceKeysTest {

    /** apimachinery IsValidLabelValue. */
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

    private static boolean valid(String value) {
        return value.length() <= 63 && LABEL_VALUE.matcher(value).matches();
    }

    @Test
    void aNodeNameThatIsAValidLabelValueIsTheLabelValue() {
        for (String node : new String[] {"n1", "worker-1", "ip-10-0-0-1.eu-west-1.compute.internal", "a".repeat(63)}) {
            assertEquals(node, ResourceKeys.nodeLabelValue(node));
        }
    }

    @Test
    void aNodeNameTooLongForALabelBecomesAValidDistinctOne() {
        String longName = "node-" + "x".repeat(200) + ".cluster.example.com"; // a valid node name, 225 characters
        String a = ResourceKeys.nodeLabelValue(longName);
        String b = ResourceKeys.nodeLabelValue(longName.replace("example", "example2"));
        assertTrue(valid(a), a);
        assertTrue(valid(b), b);
        assertTrue(a.startsWith("node-xxx"), "readable: " + a);
        assertNotEquals(a, b, "names that share their first 63 characters still differ");
        assertEquals(a, ResourceKeys.nodeLabelValue(longName), "a function of the node name");
        assertTrue(valid(ResourceKeys.nodeLabelValue("-" + ".".repeat(70))), "even an odd ID");
    }
}
