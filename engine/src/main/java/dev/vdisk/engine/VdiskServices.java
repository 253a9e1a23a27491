package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.journal.Journal;
import dev.vdisk.engine.map.NodeCache;

/**
 * What the parts of a vdisk use, handed to them instead of the {@link Pool}: the pool's data space, allocator, slab
 * (the changes table's memory), journal, destager and zeros, the maps' node cache, and the pool-wide decisions
 * ({@link PoolHooks}). One per open pool, made once its journal is open.
 */
record VdiskServices(
        int segmentSize,
        DataSpace data,
        Allocator alloc,
        Slab slab,
        Journal journal,
        Destager destager,
        Zeros zeros,
        NodeCache maps,
        PointerHolds holds,
        boolean writeAnywhere,
        PoolHooks pool) {}
