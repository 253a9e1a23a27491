package dev.vdisk.engine.split;

import dev.vdisk.engine.map.StoreMap;

/** The clone being split, as its split sees it: its map (with the backing chain) and its persisted split record. */
public interface SplitClone {
    long id();

    String name();

    boolean isDeleted();

    /** The clone's map; its backing chain hangs off it ({@link StoreMap#backing()}). */
    StoreMap map();

    /** The birth stamp of entries the split installs (the clone's epoch). */
    int epoch();

    /** Marks a filled segment: its map change is not durable before the next point, so no in-place write yet. */
    void markTouched(long segment);

    /** The persisted split state, null when none is recorded. */
    SplitCursor record();

    /** Replaces the split state; consistency points write it with the map. */
    void setRecord(SplitCursor record);
}
