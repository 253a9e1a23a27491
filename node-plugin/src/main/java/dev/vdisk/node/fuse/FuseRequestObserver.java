package dev.vdisk.node.fuse;

/**
 * Told about every data-path request a worker answered ({@link FuseOp}), on the worker's thread, after the reply
 * was written (io_uring: handed to the ring). Implementations must be thread-safe and must not allocate or block: they run once per I/O request
 * on the hot path (the metrics implementation adds to pre-registered meters).
 */
public interface FuseRequestObserver {

    /** Observes nothing; the default, so that a data path without metrics pays one no-op call per request. */
    FuseRequestObserver NONE = new FuseRequestObserver() {
        @Override
        public void served(FuseOp op, long bytes, long nanos) {}

        @Override
        public void failed(FuseOp op) {}
    };

    /**
     * A request answered with success, or with an error that is the caller's (a stale inode, a write past the end).
     *
     * @param bytes payload bytes moved (READ: bytes read, WRITE: bytes written, FALLOCATE: bytes discarded, else 0)
     * @param nanos from the request's arrival in user space to its reply
     */
    void served(FuseOp op, long bytes, long nanos);

    /** A request whose backend call threw, answered with EIO (ENOSPC when the pool or its disk is full). */
    void failed(FuseOp op);
}
