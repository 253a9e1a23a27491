/**
 * The FUSE kernel protocol spoken directly to the kernel: a one-directory filesystem whose files are the images
 * of attached volumes, each served by a {@link dev.vdisk.node.backend.BlockBackend}.
 *
 * <p>Entry point: {@link dev.vdisk.node.fuse.FuseSession} (mount, workers, notifications, unmount). Two
 * transports ({@link dev.vdisk.node.fuse.FuseTransport}), one dispatcher: {@link
 * dev.vdisk.node.fuse.FuseWorker} threads read(2) requests from /dev/fuse and write(2) replies; {@link
 * dev.vdisk.node.fuse.UringQueueWorker} threads serve FUSE over io_uring (registered per-CPU queue entries,
 * COMMIT_AND_FETCH, and the file I/O of file-backed images on the same ring). Either way a request lands in a
 * slot's page-aligned native buffers, is decoded through {@link dev.vdisk.node.fuse.FuseRequest}, answered by
 * the slot's {@link dev.vdisk.node.fuse.FuseDispatcher} against the {@link dev.vdisk.node.fuse.ImageDirectory}
 * and encoded with {@link dev.vdisk.node.fuse.FuseReply}, whose sink is the transport's. Protocol constants live
 * in {@link dev.vdisk.node.fuse.FuseProtocol}; struct layouts are written at the top of the class that decodes
 * (requests) or encodes (replies) them. Protocol version: 7.38 ({@code include/uapi/linux/fuse.h}), plus
 * FUSE_OVER_IO_URING (7.42) in flags2. Each answered data-path request ({@link dev.vdisk.node.fuse.FuseOp}) is
 * reported to the {@link dev.vdisk.node.fuse.FuseRequestObserver} of the {@link dev.vdisk.node.fuse.FuseConfig}
 * (metrics), on the serving thread, without allocating. Hand-over to a successor process (a descriptor holder):
 * {@link dev.vdisk.node.fuse.FuseSessionRecord} (what the holder keeps besides the descriptors),
 * {@code FuseSession.adopt}, and the {@code StopGate} of a graceful stop.
 */
package dev.vdisk.node.fuse;
