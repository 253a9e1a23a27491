package dev.vdisk.engine.alloc;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** {@link Allocator}'s batched reference increment, which a SHARE split run uses for all of its entries at once. */
class AllocatorTest {
    @Test
    void batchedIncrefCountsEachEntryAndChangesNothingWhenOneSegmentIsNotAllocated() {
        Allocator a = new Allocator(64, 2);
        long x = a.allocate(false, 4096);
        long y = a.allocate(false, 4096);
        a.incref(new long[] {x, y, x, 0}, 3); // entries past n are ignored
        assertEquals(3, a.refcount(x));
        assertEquals(2, a.refcount(y));
        long free = 40;
        assertEquals(0, a.refcount(free), "not allocated");
        assertThrows(IllegalStateException.class, () -> a.incref(new long[] {x, y, free}, 3));
        assertEquals(3, a.refcount(x), "all or nothing: x unchanged");
        assertEquals(2, a.refcount(y), "all or nothing: y unchanged");
        assertThrows(RuntimeException.class, () -> a.incref(new long[] {y, 1}, 2), "outside the data area");
        assertEquals(2, a.refcount(y));
    }
}
