package dev.vdisk.controller.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.PoolCapacity;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The small request checkers: IDs, sizes, capabilities, parameters, topology, page tokens. */
class ValueClassesTest {

    @Test
    void volumeIdIsTheNameWhenReadableElseAStableHash() {
        assertEquals(
                "pvc-0f1e2d3c-aaaa-bbbb-cccc-000011112222",
                VolumeIds.forName("pvc-0f1e2d3c-aaaa-bbbb-cccc-000011112222"));
        String hashed = VolumeIds.forName("My Volume/1");
        assertTrue(hashed.matches("my-volume-1--[0-9a-f]{32}"), hashed);
        assertEquals(hashed, VolumeIds.forName("My Volume/1"), "a function of the name");
        assertNotEquals(hashed, VolumeIds.forName("My Volume/2"));
        assertTrue(VolumeIds.forName("x".repeat(129)).matches("x{94}--[0-9a-f]{32}"), "too long to pass through");
        assertTrue(
                VolumeIds.forName("a--" + "0".repeat(32)).matches("a-0{32}--[0-9a-f]{32}")
                        && !VolumeIds.forName("a--" + "0".repeat(32)).equals("a--" + "0".repeat(32)),
                "a name shaped like a hashed ID is hashed too (no collision)");
    }

    @Test
    void sizeIsRoundedUpAndCheckedAgainstTheLimit() {
        assertEquals(8192, range(4097, 0).size(1L << 40));
        assertEquals(SizeRange.DEFAULT_SIZE, range(0, 0).size(1L << 40));
        assertEquals(1 << 20, range(0, (1 << 20) + 5).size(1L << 40), "default capped by the limit, rounded down");
        assertThrows(
                CapacityOutOfRangeException.class, () -> range(4097, 4097).size(1L << 40), "rounding passes the limit");
        assertThrows(CapacityOutOfRangeException.class, () -> range(0, 100).size(1L << 40), "limit below one block");
        assertThrows(CapacityOutOfRangeException.class, () -> range(5000, 1000).size(1L << 40));
        assertThrows(
                CapacityOutOfRangeException.class, () -> range(1L << 41, 0).size(1L << 40), "larger than any pool");
        assertThrows(
                IllegalArgumentException.class,
                () -> SizeRange.of(
                        CapacityRange.newBuilder().setRequiredBytes(-1).build()));
        assertTrue(range(4096, 8192).admits(8192));
        assertFalse(range(4096, 8192).admits(12288));
        assertFalse(range(16384, 0).admits(8192));
    }

    @ParameterizedTest
    @EnumSource(
            value = Mode.class,
            names = {
                "SINGLE_NODE_WRITER",
                "SINGLE_NODE_READER_ONLY",
                "SINGLE_NODE_SINGLE_WRITER",
                "SINGLE_NODE_MULTI_WRITER"
            })
    void singleNodeModesAreSupported(Mode mode) {
        assertEquals(Optional.empty(), VolumeCapabilities.problem(mount("xfs", mode)));
        assertEquals(Optional.empty(), VolumeCapabilities.problem(block(mode)));
    }

    @ParameterizedTest
    @EnumSource(
            value = Mode.class,
            names = {"MULTI_NODE_READER_ONLY", "MULTI_NODE_SINGLE_WRITER", "MULTI_NODE_MULTI_WRITER"})
    void multiNodeModesAreRefusedByName(Mode mode) {
        assertTrue(VolumeCapabilities.problem(block(mode)).orElseThrow().contains(mode.name()));
    }

    @Test
    void otherCapabilityProblems() {
        assertTrue(VolumeCapabilities.problem(mount("btrfs", Mode.SINGLE_NODE_WRITER))
                .orElseThrow()
                .contains("btrfs"));
        assertTrue(VolumeCapabilities.problem(VolumeCapability.newBuilder()
                        .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                        .build())
                .orElseThrow()
                .contains("access_mode"));
        assertTrue(VolumeCapabilities.problem(VolumeCapability.newBuilder()
                        .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER))
                        .build())
                .orElseThrow()
                .contains("access_type"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> VolumeCapabilities.require("volume_capabilities", List.of()));
        assertEquals("volume_capabilities missing in request", e.getMessage());
    }

    @Test
    void parametersAreValidatedAndProvisionerKeysIgnored() {
        VolumeParameters p = VolumeParameters.parse(Map.of(
                "fsType",
                "xfs",
                "splitOnClone",
                "copy",
                "maxChainDepth",
                "8",
                "overprovisionRatio",
                "2.5",
                "csi.storage.k8s.io/pvc/name",
                "data"));
        assertEquals(Optional.of("xfs"), p.fsType());
        assertEquals(2.5, p.ratio());
        assertEquals(
                Map.of("fsType", "xfs", "splitOnClone", "copy", "maxChainDepth", "8", "overprovisionRatio", "2.5"),
                p.attributes());
        assertEquals(1.0, VolumeParameters.parse(Map.of()).ratio());
        for (var bad : List.of(
                Map.of("fstype", "ext4"),
                Map.of("fsType", "btrfs"),
                Map.of("splitOnClone", "always"),
                Map.of("maxChainDepth", "0"),
                Map.of("maxChainDepth", "x"),
                Map.of("overprovisionRatio", "-1"),
                Map.of("overprovisionRatio", "NaN"))) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> VolumeParameters.parse(bad));
            assertTrue(e.getMessage().contains(bad.keySet().iterator().next()), e.getMessage());
        }
        assertEquals(Optional.empty(), p.mismatch(p.attributes()));
        assertTrue(p.mismatch(Map.of("fsType", "ext4", "maxChainDepth", "8")).isPresent());
    }

    @Test
    void mutableParameters() {
        MutableParameters m = MutableParameters.parse(Map.of("maxIops", "500", "maxBytesPerSecond", "1048576"));
        assertEquals(Map.of("maxIops", "500", "maxBytesPerSecond", "1048576"), m.attributes());
        assertThrows(
                IllegalArgumentException.class,
                () -> MutableParameters.parse(Map.of("fsType", "xfs")),
                "immutable parameters are not mutable ones");
        assertEquals(
                Map.of("maxIops", "0"),
                MutableParameters.parse(Map.of("maxIops", "0")).attributes(),
                "0 lifts the limit");
        assertThrows(IllegalArgumentException.class, () -> MutableParameters.parse(Map.of("maxIops", "-1")));
    }

    @Test
    void topologyPicksFirstPreferredThatIsRequisiteKnownAndHasRoom() {
        var known = new TreeSet<>(List.of("n1", "n2", "n3"));
        TopologyPicker t = TopologyPicker.of(Optional.of(TopologyRequirement.newBuilder()
                .addRequisite(node("n9"))
                .addRequisite(node("n2"))
                .addRequisite(node("n3"))
                .addPreferred(node("n9"))
                .addPreferred(node("n3"))
                .build()));
        assertEquals("n3", t.pick(known, n -> Optional.empty()), "n9 unknown, n3 next preferred");
        assertEquals(
                "n2",
                t.pick(known, n -> n.equals("n3") ? Optional.of("full") : Optional.empty()),
                "falls back to requisite order");
        NoSuitableNodeException e =
                assertThrows(NoSuitableNodeException.class, () -> t.pick(known, n -> Optional.of("full")));
        assertTrue(
                e.getMessage().contains("n9: no node agent known")
                        && e.getMessage().contains("n2: full"),
                e.getMessage());
        assertFalse(t.allows("n1"));

        TopologyPicker none = TopologyPicker.of(Optional.empty());
        assertEquals("n1", none.pick(known, n -> Optional.empty()));
        assertTrue(none.allows("anything"));
        assertThrows(NoSuitableNodeException.class, () -> none.pick(new TreeSet<>(), n -> Optional.empty()));
    }

    @Test
    void topologyRequirementsThisPluginNeverReportsAreInvalid() {
        assertThrows(
                IllegalArgumentException.class,
                () -> TopologyPicker.of(Optional.of(TopologyRequirement.newBuilder()
                        .addRequisite(Topology.newBuilder().putSegments("zone", "a"))
                        .build())),
                "foreign key");
        assertThrows(
                IllegalArgumentException.class,
                () -> TopologyPicker.of(Optional.of(TopologyRequirement.newBuilder()
                        .addRequisite(Topology.newBuilder()
                                .putSegments(TopologyPicker.KEY, "n1")
                                .putSegments("zone", "a"))
                        .build())),
                "extra key");
        assertThrows(
                IllegalArgumentException.class,
                () -> TopologyPicker.of(Optional.of(TopologyRequirement.newBuilder()
                        .addRequisite(node("n1"))
                        .addPreferred(node("n2"))
                        .build())),
                "preferred outside requisite");
        assertThrows(
                IllegalArgumentException.class,
                () -> TopologyPicker.of(Optional.of(TopologyRequirement.getDefaultInstance())),
                "neither list");
    }

    @Test
    void pageTokensRoundTripAndForeignOnesAreRejected() {
        assertEquals("pvc-7", PageToken.decode(PageToken.after("pvc-7")));
        assertThrows(InvalidPageTokenException.class, () -> PageToken.decode("not a token!"));
        assertThrows(InvalidPageTokenException.class, () -> PageToken.decode("djI6eA"), "v2:x");
        assertThrows(InvalidPageTokenException.class, () -> PageToken.decode("12"));
    }

    @Test
    void capacityPolicyCountsProvisionedSizesTimesTheRatio() {
        var pool = new PoolCapacity(1 << 30, 1 << 30, 0);
        var v = new AgentVolume("a", 256 << 20, 0, false);
        assertEquals((1 << 30) - (256 << 20), new CapacityPolicy(1.0).available(pool, List.of(v)));
        assertEquals((2L << 30) - (256 << 20), new CapacityPolicy(2.0).available(pool, List.of(v)));
        assertEquals(0, new CapacityPolicy(0.1).available(pool, List.of(v)), "never negative");
        assertEquals(2L << 30, new CapacityPolicy(2.0).maximumVolumeSize(pool));
    }

    static SizeRange range(long required, long limit) {
        return SizeRange.of(CapacityRange.newBuilder()
                .setRequiredBytes(required)
                .setLimitBytes(limit)
                .build());
    }

    static Topology node(String n) {
        return Topology.newBuilder().putSegments(TopologyPicker.KEY, n).build();
    }

    static VolumeCapability mount(String fs, Mode mode) {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fs))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }

    static VolumeCapability block(Mode mode) {
        return VolumeCapability.newBuilder()
                .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }
}
