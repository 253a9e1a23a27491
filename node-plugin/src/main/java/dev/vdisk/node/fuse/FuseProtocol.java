package dev.vdisk.node.fuse;

/** Opcodes and flag bits of the FUSE kernel protocol 7.38 ({@code include/uapi/linux/fuse.h}). */
final class FuseProtocol {
    static final int KERNEL_VERSION = 7;
    static final int KERNEL_MINOR_VERSION = 38;
    static final long ROOT_ID = 1;

    // opcodes
    static final int LOOKUP = 1,
            FORGET = 2,
            GETATTR = 3,
            SETATTR = 4,
            OPEN = 14,
            READ = 15,
            WRITE = 16,
            STATFS = 17,
            RELEASE = 18,
            FSYNC = 20,
            GETXATTR = 22,
            LISTXATTR = 23,
            FLUSH = 25,
            INIT = 26,
            OPENDIR = 27,
            READDIR = 28,
            RELEASEDIR = 29,
            FSYNCDIR = 30,
            ACCESS = 34,
            INTERRUPT = 36,
            DESTROY = 38,
            BATCH_FORGET = 42,
            FALLOCATE = 43,
            LSEEK = 46;

    // fuse_init_in/out flags
    static final int FUSE_ASYNC_READ = 1 << 0;
    static final int FUSE_BIG_WRITES = 1 << 5;
    static final int FUSE_ASYNC_DIO = 1 << 15;
    static final int FUSE_PARALLEL_DIROPS = 1 << 18;
    static final int FUSE_MAX_PAGES = 1 << 22;
    /** flags2 is meaningful (init_in and init_out). */
    static final int FUSE_INIT_EXT = 1 << 30;
    /** In flags2 (bit 41 of the 64-bit flags): requests may travel over io_uring (kernel 6.14+, enable_uring=Y). */
    static final int FUSE_OVER_IO_URING_FLAGS2 = 1 << (41 - 32);

    // io_uring commands on /dev/fuse (sqe->cmd_op), with a fuse_uring_cmd_req in the SQE's command area:
    // flags u64 @0 | commit_id u64 @8 | qid u16 @16 | padding[6]
    static final int URING_CMD_REGISTER = 1, URING_CMD_COMMIT_AND_FETCH = 2;
    static final int URING_CMD_REQ_COMMIT_ID = 8, URING_CMD_REQ_QID = 16;

    // fuse_open_out.open_flags
    /** Bypass the FUSE page cache: every read and write of the image reaches us, sized as issued. */
    static final int FOPEN_DIRECT_IO = 1 << 0;
    /** With DIRECT_IO: non-extending writes take the inode lock shared, so the loop's writes run in parallel. */
    static final int FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;

    // fuse_setattr_in.valid
    static final int FATTR_SIZE = 1 << 3;

    // notification codes (fuse_out_header.error of a message with unique 0)
    static final int NOTIFY_INVAL_INODE = 2;
    static final int NOTIFY_INVAL_ENTRY = 3;
    /** Kernel 6.9+: requeue every request read from a /dev/fuse descriptor but not answered (unique gets bit 63). */
    static final int NOTIFY_RESEND = 7;

    /** ioctl(2) request: _IOR(229, 0, uint32_t); makes a new /dev/fuse descriptor serve the same connection. */
    static final long FUSE_DEV_IOC_CLONE = 0x8004E500L;

    static final int S_IFDIR = 0040000, S_IFREG = 0100000;
    static final int DT_DIR = 4, DT_REG = 8;
    static final int SEEK_DATA = 3, SEEK_HOLE = 4;

    private FuseProtocol() {}
}
