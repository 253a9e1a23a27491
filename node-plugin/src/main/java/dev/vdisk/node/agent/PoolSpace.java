package dev.vdisk.node.agent;

import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.engine.PoolInfo;
import dev.vdisk.node.sys.FileStat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the pool can really still write, for GetCapacity and the metrics. The engine's {@code availableBytes} is its
 * free segments minus reservations and metadata headroom; but a pool in a sparse file gets its free segments from
 * the host file system only when it first writes them, so when that file system is fuller than the pool, the pool's
 * free segments are promises. Writable is then the host's usable space plus the free segments the file already
 * holds (allocated blocks minus used and pending segments), minus the same reserves, and never more than the
 * engine's figure. A pool on a block device owns its blocks: the engine's figure stands. The journal also takes
 * host space until consistency points trim it, so this is an estimate from above by at most the journal's size.
 */
final class PoolSpace {
    private PoolSpace() {}

    static PoolCapacity of(PoolInfo info) {
        return new PoolCapacity(info.sizeBytes(), writable(info), info.usedBytes());
    }

    static long writable(PoolInfo info) {
        long available = info.availableBytes();
        Path data = info.dataPath();
        if (!Files.isRegularFile(data)) {
            return available;
        }
        try {
            long hostUsable = Files.getFileStore(data).getUsableSpace();
            long backedFree = Math.max(0, FileStat.of(data).allocatedBytes() - info.usedBytes() - info.pendingBytes());
            long reserves = info.freeBytes() - info.availableBytes();
            return Math.min(available, Math.max(0, hostUsable + backedFree - reserves));
        } catch (IOException e) {
            return available; // cannot tell: the engine's figure
        }
    }
}
