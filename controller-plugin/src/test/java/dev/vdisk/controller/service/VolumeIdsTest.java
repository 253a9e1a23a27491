package dev.vdisk.controller.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every ID the controller derives from a CSI name becomes the name of a custom resource in cluster mode (a group
 * snapshot's also a label value): each must pass the API server's own validation, or the write is refused with 422
 * and the PVC stays Pending (issue 16). The rules below are apimachinery's (validation.IsDNS1123Subdomain,
 * IsDNS1123Label, IsValidLabelValue).
 */
class VolumeIdsTest {

    /** IsDNS1123Subdomain: at most 253 characters, dot-separated labels of [a-z0-9-], alphanumeric at both ends. */
    private static final Pattern SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    /** IsValidLabelValue: at most 63 characters, empty or alphanumeric at both ends with '-', '_', '.' between. */
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

    static boolean validObjectName(String name) {
        return name.length() <= 253 && SUBDOMAIN.matcher(name).matches();
    }

    static boolean validLabelValue(String value) {
        return value.length() <= 63 && LABEL_VALUE.matcher(value).matches();
    }

    @Test
    void everyDerivedIdOfFuzzedNamesIsAValidObjectNameAndNoTwoNamesShareOne() {
        Random random = new Random(16);
        List<String> names = new ArrayList<>(edgeNames());
        for (int i = 0; i < 10_000; i++) {
            names.add(randomName(random));
        }
        Map<String, String> nameById = new HashMap<>();
        Map<String, String> nameByGroupId = new HashMap<>();
        for (String name : names) {
            String id = VolumeIds.forName(name);
            assertTrue(validObjectName(id) && id.length() <= VolumeIds.MAX_LENGTH, () -> "'" + name + "' -> " + id);
            String clone = ContentSource.internalSnapshotId(id);
            assertTrue(validObjectName(clone), () -> "'" + name + "' -> clone source " + clone);
            assertTrue(ContentSource.isInternal(clone) && !ContentSource.isInternal(id), clone);
            String group = VolumeIds.forGroupName(name);
            assertTrue(validObjectName(group) && validLabelValue(group), () -> "'" + name + "' -> group " + group);
            String member = VolumeIds.forName(group + "." + id);
            assertTrue(validObjectName(member), () -> "'" + name + "' -> member " + member);
            String other = nameById.putIfAbsent(id, name);
            assertTrue(other == null || other.equals(name), () -> "'" + name + "' and '" + other + "' share ID " + id);
            String otherGroup = nameByGroupId.putIfAbsent(group, name);
            assertTrue(
                    otherGroup == null || otherGroup.equals(name),
                    () -> "'" + name + "' and '" + otherGroup + "' share group ID " + group);
        }
    }

    @Test
    void namesThatDifferOnlyInCaseGetDifferentIds() {
        List<String> variants = List.of("pvc-data", "PVC-DATA", "Pvc-Data", "pvc-Data", "PVC_DATA", "pvc_data");
        assertEquals(
                variants.size(),
                variants.stream().map(VolumeIds::forName).distinct().count(),
                variants.stream().map(VolumeIds::forName).toList().toString());
        assertEquals(
                variants.size(),
                variants.stream().map(VolumeIds::forGroupName).distinct().count());
    }

    @Test
    void whatTheSidecarsSendPassesThroughSoOperatorsSeeThePvName() {
        for (String name : List.of(
                "pvc-0f1e2d3c-aaaa-bbbb-cccc-000011112222",
                "snapshot-0f1e2d3c-aaaa-bbbb-cccc-000011112222",
                "groupsnapshot-0f1e2d3c-aaaa-bbbb-cccc-000011112222",
                "a",
                "a.b-c",
                "x".repeat(128))) {
            assertEquals(name, VolumeIds.forName(name));
            assertEquals(Optional.empty(), VolumeIds.legacy(name), "unchanged IDs need no legacy lookup");
        }
        assertEquals(
                "groupsnapshot-0f1e2d3c-aaaa-bbbb-cccc-000011112222",
                VolumeIds.forGroupName("groupsnapshot-0f1e2d3c-aaaa-bbbb-cccc-000011112222"));
        assertTrue(VolumeIds.forGroupName("g".repeat(64)).length() <= 63, "a label value is at most 63");
        assertEquals("pvc-a--clonesrc", ContentSource.internalSnapshotId("pvc-a"));
    }

    @Test
    void theOldIdOfANameIsKnownSoVolumesCreatedBeforeStillResolve() {
        assertTrue(VolumeIds.legacy("My Volume").orElseThrow().matches("h_[0-9a-f]{40}"));
        assertEquals(Optional.of("a..b"), VolumeIds.legacy("a..b"), "readable before, not a valid object name now");
        assertNotEquals("a..b", VolumeIds.forName("a..b"));
        assertTrue(ContentSource.isInternal("clonesrc_pvc-a"), "an old internal clone source is still hidden");
    }

    private static List<String> edgeNames() {
        return List.of(
                "",
                "-",
                ".",
                "_",
                "a",
                "A",
                "a-",
                "-a",
                "a.",
                ".a",
                "a..b",
                "a.-b",
                "a-.b",
                "a--b",
                "a_b",
                "x".repeat(128),
                "x".repeat(129),
                "x".repeat(253),
                "x".repeat(254),
                "X".repeat(300),
                "é",
                "日本語",
                "İstanbul",
                "ß",
                "\u0000",
                " ",
                "pvc-1 ",
                "🙂",
                "a".repeat(63),
                "a".repeat(64),
                "id--" + "0".repeat(32),
                "x--" + "0".repeat(32),
                "a.b.c.d",
                "1",
                "0-0",
                "--",
                "----",
                "-" + "a".repeat(200));
    }

    private static String randomName(Random random) {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/: éß日İ🙂";
        int length =
                switch (random.nextInt(4)) {
                    case 0 -> 1 + random.nextInt(8);
                    case 1 -> 1 + random.nextInt(64);
                    case 2 -> 120 + random.nextInt(20);
                    default -> 1 + random.nextInt(300);
                };
        StringBuilder out = new StringBuilder();
        int[] points = alphabet.codePoints().toArray();
        for (int i = 0; i < length; i++) {
            out.appendCodePoint(
                    random.nextInt(3) == 0 ? points[random.nextInt(points.length)] : points[random.nextInt(26)]);
        }
        String name = out.toString();
        return random.nextInt(5) == 0 ? name.toUpperCase(Locale.ROOT) : name;
    }
}
