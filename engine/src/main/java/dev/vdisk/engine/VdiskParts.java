package dev.vdisk.engine;

import dev.vdisk.engine.map.StoreMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The parts one {@link Vdisk} hands its calls to, wired once by its constructor: the changes table, reads, the three
 * write paths (journalled, in place, pointer), discards, replay and destage. They share the vdisk's map, segment gates,
 * backing chain reader, touched segments, change set and operation lock.
 */
record VdiskParts(
        ChangesTable table,
        VdiskReads reads,
        InPlaceWriter inPlace,
        PointerWriter pointers,
        VdiskWrites writes,
        Discards discards,
        VdiskReplay replay,
        SegmentDestage destage) {

    /** Wires the parts of {@code owner} (called from its constructor); {@code lastPointerSeq} from its catalog. */
    static VdiskParts wire(
            Vdisk owner,
            VdiskServices svc,
            StoreMap map,
            TouchedSegments touched,
            ChangeSet changes,
            ReentrantReadWriteLock opLock,
            long lastPointerSeq) {
        SegmentGates gates = new SegmentGates();
        ChainReader chain = new ChainReader(svc);
        ChangesTable table = new ChangesTable(owner, svc, map, gates, chain);
        VdiskReads reads = new VdiskReads(svc, map, table, gates, chain);
        InPlaceWriter inPlace = new InPlaceWriter(owner, svc, map, table, touched, changes, gates, opLock);
        PointerWriter pointers =
                new PointerWriter(owner, svc, map, table, touched, changes, gates, chain, opLock, lastPointerSeq);
        PointerReplay pointerReplay = new PointerReplay(owner, svc, pointers, map, table);
        VdiskWrites writes = new VdiskWrites(owner, svc, map, table, touched, inPlace, pointers, pointerReplay, opLock);
        Discards discards = new Discards(owner, svc, map, table, touched, pointerReplay, opLock);
        return new VdiskParts(
                table,
                reads,
                inPlace,
                pointers,
                writes,
                discards,
                new VdiskReplay(writes, pointerReplay, discards),
                new SegmentDestage(owner, svc, map, table, touched, changes, chain));
    }
}
