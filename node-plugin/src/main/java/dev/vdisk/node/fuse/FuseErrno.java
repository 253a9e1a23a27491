package dev.vdisk.node.fuse;

import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.error.Reason;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import java.io.IOException;

/**
 * The errno a failed data-path request is answered with. A full pool must reach the writer as ENOSPC, not EIO:
 * ext4 treats an EIO from its device as a lost write ("potential data loss") and aborts its journal, while
 * ENOSPC is a condition a writer (or an administrator) can act on. Everything else stays EIO.
 */
final class FuseErrno {
    private static final int EDQUOT = 122;
    /** The JDK's message for ENOSPC from a FileChannel write (it carries no errno). */
    private static final String NO_SPACE = "No space left on device";

    private FuseErrno() {}

    /** The errno for what a backend call threw. */
    static int of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof EngineException e && e.reason() == Reason.OUT_OF_SPACE) {
                return Libc.ENOSPC;
            }
            if (t instanceof ErrnoException e && (e.errno() == Libc.ENOSPC || e.errno() == EDQUOT)) {
                return Libc.ENOSPC;
            }
            if (t instanceof IOException && NO_SPACE.equals(t.getMessage())) {
                return Libc.ENOSPC; // the pool's data file or journal on a full host file system
            }
        }
        return Libc.EIO;
    }

    /** The errno for a failed transfer the ring reports as {@code -errno}: ENOSPC and EDQUOT pass, the rest is EIO. */
    static int ofResult(int negativeErrno) {
        int errno = -negativeErrno;
        return errno == Libc.ENOSPC || errno == EDQUOT ? Libc.ENOSPC : Libc.EIO;
    }
}
