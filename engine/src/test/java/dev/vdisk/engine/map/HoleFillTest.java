package dev.vdisk.engine.map;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.format.MapEntry;
import org.junit.jupiter.api.Test;

/** {@link HoleFill#fill}: a SHARE split run's install, which must never overwrite an entry that is not a hole. */
class HoleFillTest {
    @Test
    void fillsOnlyHolesTakesOneReferencePerDataEntryAndReportsWhatItInstalled() {
        int seg = 4096; // fanout 256
        Allocator alloc = new Allocator(1024, 2);
        MapTree t = MapTree.empty(new NodeCache(null, seg, 8L << 20), 2);
        long mine = alloc.allocate(false, seg);
        t.set(300, MapEntry.mapped(mine), 1, alloc); // a user write got to segment 300 first
        t.set(301, MapEntry.ZERO, 1, alloc); // and a discard to 301
        long x = alloc.allocate(false, seg);
        long y = alloc.allocate(false, seg);
        // segments 299..303 of the second level-1 block: data, data, zero, hole (nothing to fill), data
        long[] words = {MapEntry.mapped(x), MapEntry.mapped(y), MapEntry.ZERO, MapEntry.HOLE, MapEntry.mapped(y)};
        int installed = HoleFill.fill(t, 299, words.length, words, 7, alloc, new long[words.length]);
        assertEquals(2, installed);
        assertArrayEquals(
                new long[] {MapEntry.mapped(x), MapEntry.HOLE, MapEntry.HOLE, MapEntry.HOLE, MapEntry.mapped(y)},
                words,
                "what was installed");
        assertEquals(MapEntry.mapped(x), t.lookup(299));
        assertEquals(MapEntry.mapped(mine), t.lookup(300), "the user's write stays");
        assertEquals(MapEntry.ZERO, t.lookup(301), "the discard stays");
        assertEquals(MapEntry.HOLE, t.lookup(302));
        assertEquals(MapEntry.mapped(y), t.lookup(303));
        assertEquals(2, alloc.refcount(x), "one reference taken for the fill");
        assertEquals(2, alloc.refcount(y), "one reference taken for the fill of 303 only");
        assertEquals(1, alloc.refcount(mine));
        assertEquals(
                0,
                HoleFill.fill(t, 299, 1, new long[] {MapEntry.mapped(y)}, 7, alloc, new long[1]),
                "no hole left: nothing installed");
        assertEquals(2, alloc.refcount(y));
        assertThrows(
                IllegalArgumentException.class,
                () -> HoleFill.fill(t, 255, 2, new long[] {MapEntry.ZERO, MapEntry.ZERO}, 7, alloc, new long[2]),
                "a run spans one level-1 block");
    }
}
