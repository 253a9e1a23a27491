package dev.vdisk.controller.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import csi.v1.BlockMetadata;
import dev.vdisk.api.agent.BlockExtent;
import dev.vdisk.api.agent.BlockExtent.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ExtentBatchesTest {

    private static List<List<String>> batches(List<BlockExtent> extents, int max) {
        List<List<String>> out = new ArrayList<>();
        new ExtentBatches(extents.iterator(), max)
                .forEachRemaining(b -> out.add(b.stream()
                        .map(m -> m.getByteOffset() + "+" + m.getSizeBytes())
                        .toList()));
        return out;
    }

    @Test
    void adjacentExtentsMergeWhateverTheirKindAndBatchesHoldAtMostMaxResults() {
        List<BlockExtent> extents = List.of(
                new BlockExtent(0, 10, Kind.CHANGED),
                new BlockExtent(10, 5, Kind.DEALLOCATED),
                new BlockExtent(20, 5, Kind.CHANGED),
                new BlockExtent(30, 1, Kind.CHANGED),
                new BlockExtent(31, 1, Kind.CHANGED),
                new BlockExtent(40, 2, Kind.DEALLOCATED));
        assertEquals(List.of(List.of("0+15", "20+5"), List.of("30+2", "40+2")), batches(extents, 2));
        assertEquals(List.of(List.of("0+15", "20+5", "30+2", "40+2")), batches(extents, 0));
        assertEquals(List.of(List.of("0+15"), List.of("20+5"), List.of("30+2"), List.of("40+2")), batches(extents, 1));
        assertEquals(List.of(), batches(List.of(), 3));
    }

    @Test
    void zeroMaxResultsMeansTheDefaultAndNegativeIsInvalid() {
        List<BlockExtent> many = IntStream.range(0, ExtentBatches.DEFAULT_MAX_RESULTS + 1)
                .mapToObj(i -> new BlockExtent(i * 10L, 1, Kind.ALLOCATED))
                .toList();
        List<List<BlockMetadata>> out = new ArrayList<>();
        new ExtentBatches(many.iterator(), 0).forEachRemaining(out::add);
        assertEquals(
                List.of(ExtentBatches.DEFAULT_MAX_RESULTS, 1),
                out.stream().map(List::size).toList());
        assertThrows(IllegalArgumentException.class, () -> new ExtentBatches(many.iterator(), -1));
    }
}
