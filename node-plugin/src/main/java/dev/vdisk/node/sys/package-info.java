/**
 * Linux system calls the data path needs, bound with the FFM API (no JNI, no native library of ours).
 *
 * <p>Entry point: {@link dev.vdisk.node.sys.Libc}. Every binding captures {@code errno} into a per-thread
 * segment, so hot-path callers (FUSE workers) read it with {@link dev.vdisk.node.sys.Libc#errno()} without
 * allocating, and control-path callers use the {@code checked…} variants that throw {@link
 * dev.vdisk.node.sys.ErrnoException}. {@link dev.vdisk.node.sys.IoUring} is an io_uring (raw io_uring_setup and
 * io_uring_enter through {@code syscall}, mmap'd rings, 128-byte SQEs) for the FUSE io_uring transport.
 * {@link dev.vdisk.node.sys.PathFd} opens paths below a directory without following links (openat2) and
 * {@link dev.vdisk.node.sys.BindMount} bind-mounts onto such a descriptor (open_tree, mount_setattr, move_mount).
 * {@link dev.vdisk.node.sys.UnixSockets} passes descriptors over AF_UNIX SOCK_SEQPACKET sockets (SCM_RIGHTS) for the
 * descriptor holder.
 */
package dev.vdisk.node.sys;
