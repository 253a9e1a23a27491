/**
 * The FUSE kernel protocol spoken directly on {@code /dev/fuse}: a one-directory filesystem whose files are
 * the images of attached volumes, each served by a {@link dev.vdisk.node.backend.BlockBackend}.
 *
 * <p>Entry point: {@link dev.vdisk.node.fuse.FuseSession} (mount, workers, notifications, unmount). Per
 * request: {@link dev.vdisk.node.fuse.FuseWorker} reads it into its own page-aligned native buffer, decodes it
 * through {@link dev.vdisk.node.fuse.FuseRequest}, answers it against the {@link
 * dev.vdisk.node.fuse.ImageDirectory} and encodes the answer with {@link dev.vdisk.node.fuse.FuseReply}.
 * Protocol constants live in {@link dev.vdisk.node.fuse.FuseProtocol}; struct layouts are written at the top of
 * the class that decodes (requests) or encodes (replies) them. Protocol version: 7.38
 * ({@code include/uapi/linux/fuse.h}). Each answered data-path request ({@link dev.vdisk.node.fuse.FuseOp}) is
 * reported to the {@link dev.vdisk.node.fuse.FuseRequestObserver} of the {@link dev.vdisk.node.fuse.FuseConfig}
 * (metrics), on the worker's thread, without allocating.
 */
package dev.vdisk.node.fuse;
