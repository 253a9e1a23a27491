package dev.vdisk.engine;

import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.map.StoreMap;
import java.nio.ByteBuffer;

/** Reads a segment as a map and its backing chain have it (no changes table): the read path's last step. */
final class ChainReader {
    private final DataSpace data;
    private final Zeros zeros;
    private final int segmentShift;

    ChainReader(VdiskServices svc) {
        this.data = svc.data();
        this.zeros = svc.zeros();
        this.segmentShift = Integer.numberOfTrailingZeros(svc.segmentSize());
    }

    /**
     * Reads {@code dst.remaining()} bytes of segment {@code seg} from {@code inSeg} as {@code map} has them: a hole
     * reads the same segment of the backing map (recursively, holding each map's read lock: a clone's map lock comes
     * before its backing's), a zero entry or a hole at the end of the chain reads zeros.
     */
    void read(StoreMap map, long seg, int inSeg, ByteBuffer dst) {
        map.lock().readLock().lock();
        try {
            long w0 = map.tree().lookup(seg);
            StoreMap b = map.backing();
            if (MapEntry.isMapped(w0)) {
                data.readFully(dst, (MapEntry.vbn(w0) << segmentShift) + inSeg);
            } else if (MapEntry.isHole(w0) && b != null && (seg << segmentShift) < b.size()) {
                read(b, seg, inSeg, dst);
            } else {
                zeros.fill(dst, dst.remaining());
            }
        } finally {
            map.lock().readLock().unlock();
        }
    }
}
