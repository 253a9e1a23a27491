package dev.vdisk.node.fuse;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How requests travel between the kernel and a {@link FuseSession}. */
public enum FuseTransport {
    /** read(2) and write(2) on /dev/fuse descriptors, one request per worker thread at a time. */
    DEV,
    /**
     * FUSE over io_uring (kernel 6.14+): per-CPU queues of registered request slots; fails the mount, loudly, if
     * the kernel cannot do it (and sets the fuse module's {@code enable_uring} if it is off).
     */
    URING,
    /** {@link #URING} when the kernel has it, else {@link #DEV} with a warning. */
    AUTO;

    private static final Logger LOG = LoggerFactory.getLogger(FuseTransport.class);

    /**
     * The transport a mount uses. With a descriptor holder ({@code handOver}): /dev/fuse only, since
     * FUSE_NOTIFY_RESEND requeues requests of /dev/fuse descriptors only. Else AUTO becomes URING if the kernel can
     * (enabling it), else DEV; URING fails here if the kernel cannot.
     */
    static FuseTransport choose(FuseTransport wanted, boolean handOver) throws IOException {
        if (handOver) {
            if (wanted == URING) {
                throw new IOException("--fuse-transport uring cannot be used with --fd-holder: requests held by a dead "
                        + "process's io_uring entries are never sent again; use --fuse-transport dev or auto");
            }
            return DEV;
        }
        if (wanted == DEV) {
            return wanted;
        }
        try {
            UringSupport.enable();
            return URING;
        } catch (IOException e) {
            if (wanted == URING) {
                throw e;
            }
            LOG.warn("{}; serving FUSE over /dev/fuse instead", e.getMessage());
            return DEV;
        }
    }
}
