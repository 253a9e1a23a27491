package dev.vdisk.node.fuse;

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
    AUTO
}
