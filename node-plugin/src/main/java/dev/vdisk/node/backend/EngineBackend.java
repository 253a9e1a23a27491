package dev.vdisk.node.backend;

import dev.vdisk.engine.Vdisk;
import java.nio.ByteBuffer;

/**
 * Serves an engine {@link Vdisk} as a block device: plain delegation, since BlockBackend was shaped after the vdisk
 * handle. Engine errors are unchecked and reach the FUSE worker, which answers the request with ENOSPC for the
 * engine's OUT_OF_SPACE and EIO otherwise (FuseErrno).
 */
public final class EngineBackend implements BlockBackend {
    private final Vdisk vdisk;

    public EngineBackend(Vdisk vdisk) {
        this.vdisk = vdisk;
    }

    @Override
    public int read(long offset, ByteBuffer dst) {
        return vdisk.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        vdisk.write(offset, src);
    }

    @Override
    public void flush() {
        vdisk.flush();
    }

    @Override
    public void discard(long offset, long length) {
        vdisk.discard(offset, length);
    }

    @Override
    public long size() {
        return vdisk.size();
    }
}
