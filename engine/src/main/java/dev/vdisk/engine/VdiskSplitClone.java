package dev.vdisk.engine;

import dev.vdisk.engine.map.StoreMap;
import dev.vdisk.engine.split.SplitClone;
import dev.vdisk.engine.split.SplitCursor;

/** A vdisk as its split sees it (see {@link SplitClone}); the pool's side of the split keeps the vdisk itself. */
record VdiskSplitClone(Vdisk vdisk) implements SplitClone {
    @Override
    public long id() {
        return vdisk.id();
    }

    @Override
    public String name() {
        return vdisk.name();
    }

    @Override
    public boolean isDeleted() {
        return vdisk.isDeleted();
    }

    @Override
    public StoreMap map() {
        return vdisk.map();
    }

    @Override
    public int epoch() {
        return (int) vdisk.epoch();
    }

    @Override
    public void markTouched(long segment) {
        vdisk.touched().mark(segment);
    }

    @Override
    public SplitCursor record() {
        return vdisk.split();
    }

    @Override
    public void setRecord(SplitCursor record) {
        vdisk.setSplit(record);
    }
}
