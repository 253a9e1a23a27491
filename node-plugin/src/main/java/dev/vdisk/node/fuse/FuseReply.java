package dev.vdisk.node.fuse;

import dev.vdisk.node.sys.Libc;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Encodes one worker's replies and writes each with a single write(2) on the worker's descriptor.
 * Small replies are built in {@code small}; READ data is already in the worker's payload area, so its header
 * goes in the 16 bytes just before it and header + data leave in one write, without a copy.
 *
 * <p>Layouts (little-endian, offsets in bytes):
 * <pre>
 * fuse_out_header  len u32 @0 | error i32 @4 (-errno) | unique u64 @8                           (16 bytes)
 * fuse_attr        ino u64 @0 | size @8 | blocks @16 | atime @24 | mtime @32 | ctime @40
 *                  | atimensec u32 @48 | mtimensec @52 | ctimensec @56 | mode @60 | nlink @64 | uid @68
 *                  | gid @72 | rdev @76 | blksize @80 | flags @84                                (88 bytes)
 * fuse_attr_out    attr_valid u64 @0 | attr_valid_nsec u32 @8 | dummy @12 | attr @16           (104 bytes)
 * fuse_entry_out   nodeid u64 @0 | generation @8 | entry_valid @16 | attr_valid @24
 *                  | entry_valid_nsec u32 @32 | attr_valid_nsec @36 | attr @40                 (128 bytes)
 * fuse_open_out    fh u64 @0 | open_flags u32 @8 | padding @12                                   (16 bytes)
 * fuse_write_out   size u32 @0 | padding @4                                                       (8 bytes)
 * fuse_kstatfs     blocks u64 @0 | bfree @8 | bavail @16 | files @24 | ffree @32 | bsize u32 @40
 *                  | namelen @44 | frsize @48 | padding @52 | spare[6] @56                         (80 bytes)
 * fuse_init_out    major u32 @0 | minor @4 | max_readahead @8 | flags @12 | max_background u16 @16
 *                  | congestion_threshold u16 @18 | max_write u32 @20 | time_gran @24 | max_pages u16 @28
 *                  | map_alignment u16 @30 | flags2 u32 @32 | unused[7] @36                         (64 bytes)
 * fuse_lseek_out   offset u64 @0                                                                   (8 bytes)
 * fuse_dirent      ino u64 @0 | off @8 | namelen u32 @16 | type u32 @20 | name, padded to 8 bytes
 * </pre>
 */
final class FuseReply {
    static final int OUT_HEADER_SIZE = 16;
    static final int ATTR_OUT_SIZE = 104, ENTRY_OUT_SIZE = 128, OPEN_OUT_SIZE = 16, WRITE_OUT_SIZE = 8,
            STATFS_OUT_SIZE = 80, INIT_OUT_SIZE = 64, LSEEK_OUT_SIZE = 8;
    /** Names and attributes never change behind the kernel's back except by resize, which invalidates. */
    private static final long VALID_SECONDS = 3600;

    private final int fd;
    private final MemorySegment small;
    /** The worker buffer from 16 bytes before the READ payload: header + data leave from here. */
    private final MemorySegment dataReply;

    /**
     * @param small      scratch space for small replies (at least 8 KiB)
     * @param data       the worker buffer; READ data sits at {@code dataOffset}, with 16 free bytes before it
     */
    FuseReply(int fd, MemorySegment small, MemorySegment data, long dataOffset) {
        this.fd = fd;
        this.small = small;
        this.dataReply = data.asSlice(dataOffset - OUT_HEADER_SIZE);
    }

    long smallCapacity() {
        return small.byteSize() - OUT_HEADER_SIZE;
    }

    /** Body of the small reply, after the header. */
    MemorySegment body() {
        return small;
    }

    static long body(long offset) {
        return OUT_HEADER_SIZE + offset;
    }

    void error(long unique, int errno) {
        send(small, unique, -errno, 0);
    }

    void empty(long unique) {
        send(small, unique, 0, 0);
    }

    /** Sends the small reply with {@code bodyLength} bytes of body already encoded. */
    void ok(long unique, int bodyLength) {
        send(small, unique, 0, bodyLength);
    }

    /** Sends {@code length} bytes of READ data that the backend left at the worker's payload area. */
    void data(long unique, int length) {
        send(dataReply, unique, 0, length);
    }

    /** Fills in the header at the start of {@code segment} and writes header + body: no allocation. */
    private void send(MemorySegment segment, long unique, int error, int bodyLength) {
        int length = OUT_HEADER_SIZE + bodyLength;
        segment.set(JAVA_INT_UNALIGNED, 0, length);
        segment.set(JAVA_INT_UNALIGNED, 4, error);
        segment.set(JAVA_LONG_UNALIGNED, 8, unique);
        long written = Libc.write(fd, segment, length);
        if (written < 0) {
            int errno = Libc.errno();
            // ENOENT: the request was interrupted and is gone; nothing to do
            if (errno != Libc.ENOENT) {
                FuseWorker.LOG.warn("reply to request {} failed: {}", unique, Libc.strerror(errno));
            }
        }
    }

    // ---- encoders: write a struct into the small reply's body at the given body offset ----

    void attr(long at, long inode, long size, int mode, int nlink, long time) {
        long a = body(at);
        small.set(JAVA_LONG_UNALIGNED, a, inode);
        small.set(JAVA_LONG_UNALIGNED, a + 8, size);
        small.set(JAVA_LONG_UNALIGNED, a + 16, (size + 511) / 512);
        small.set(JAVA_LONG_UNALIGNED, a + 24, time);
        small.set(JAVA_LONG_UNALIGNED, a + 32, time);
        small.set(JAVA_LONG_UNALIGNED, a + 40, time);
        small.set(JAVA_INT_UNALIGNED, a + 48, 0);
        small.set(JAVA_INT_UNALIGNED, a + 52, 0);
        small.set(JAVA_INT_UNALIGNED, a + 56, 0);
        small.set(JAVA_INT_UNALIGNED, a + 60, mode);
        small.set(JAVA_INT_UNALIGNED, a + 64, nlink);
        small.set(JAVA_INT_UNALIGNED, a + 68, 0);
        small.set(JAVA_INT_UNALIGNED, a + 72, 0);
        small.set(JAVA_INT_UNALIGNED, a + 76, 0);
        small.set(JAVA_INT_UNALIGNED, a + 80, 4096);
        small.set(JAVA_INT_UNALIGNED, a + 84, 0);
    }

    /** fuse_attr_out; the attr itself is encoded by {@link #attr} at body offset 16. */
    void attrOutHeader() {
        small.set(JAVA_LONG_UNALIGNED, body(0), VALID_SECONDS);
        small.set(JAVA_INT_UNALIGNED, body(8), 0);
        small.set(JAVA_INT_UNALIGNED, body(12), 0);
    }

    /** fuse_entry_out; the attr itself is encoded by {@link #attr} at body offset 40. */
    void entryOutHeader(long nodeId) {
        small.set(JAVA_LONG_UNALIGNED, body(0), nodeId);
        small.set(JAVA_LONG_UNALIGNED, body(8), 1L);
        small.set(JAVA_LONG_UNALIGNED, body(16), VALID_SECONDS);
        small.set(JAVA_LONG_UNALIGNED, body(24), VALID_SECONDS);
        small.set(JAVA_INT_UNALIGNED, body(32), 0);
        small.set(JAVA_INT_UNALIGNED, body(36), 0);
    }

    void openOut(long fh, int openFlags) {
        small.set(JAVA_LONG_UNALIGNED, body(0), fh);
        small.set(JAVA_INT_UNALIGNED, body(8), openFlags);
        small.set(JAVA_INT_UNALIGNED, body(12), 0);
    }

    void writeOut(int size) {
        small.set(JAVA_INT_UNALIGNED, body(0), size);
        small.set(JAVA_INT_UNALIGNED, body(4), 0);
    }

    void lseekOut(long offset) {
        small.set(JAVA_LONG_UNALIGNED, body(0), offset);
    }

    void statfsOut(long blocks, long bfree, long files) {
        small.asSlice(body(0), STATFS_OUT_SIZE).fill((byte) 0);
        small.set(JAVA_LONG_UNALIGNED, body(0), blocks);
        small.set(JAVA_LONG_UNALIGNED, body(8), bfree);
        small.set(JAVA_LONG_UNALIGNED, body(16), bfree);
        small.set(JAVA_LONG_UNALIGNED, body(24), files);
        small.set(JAVA_LONG_UNALIGNED, body(32), 0);
        // bsize is also the loop driver's discard granularity (loop_config_discard reads statfs f_bsize)
        small.set(JAVA_INT_UNALIGNED, body(40), 4096);
        small.set(JAVA_INT_UNALIGNED, body(44), 255);
        small.set(JAVA_INT_UNALIGNED, body(48), 4096);
    }

    void initOut(int minor, int maxReadahead, int flags, int maxBackground, int congestionThreshold,
                 int maxWrite, int maxPages) {
        small.asSlice(body(0), INIT_OUT_SIZE).fill((byte) 0);
        small.set(JAVA_INT_UNALIGNED, body(0), FuseProtocol.KERNEL_VERSION);
        small.set(JAVA_INT_UNALIGNED, body(4), minor);
        small.set(JAVA_INT_UNALIGNED, body(8), maxReadahead);
        small.set(JAVA_INT_UNALIGNED, body(12), flags);
        small.set(JAVA_SHORT_UNALIGNED, body(16), (short) maxBackground);
        small.set(JAVA_SHORT_UNALIGNED, body(18), (short) congestionThreshold);
        small.set(JAVA_INT_UNALIGNED, body(20), maxWrite);
        small.set(JAVA_INT_UNALIGNED, body(24), 1);
        small.set(JAVA_SHORT_UNALIGNED, body(28), (short) maxPages);
    }

    /**
     * Appends a fuse_dirent at body offset {@code at}; returns the new body length, or -1 if it does not fit
     * in {@code limit}.
     */
    int dirent(int at, int limit, long inode, long nextOffset, int type, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int size = (24 + bytes.length + 7) & ~7;
        if (at + size > limit || at + size > smallCapacity()) {
            return -1;
        }
        long a = body(at);
        small.asSlice(a, size).fill((byte) 0);
        small.set(JAVA_LONG_UNALIGNED, a, inode);
        small.set(JAVA_LONG_UNALIGNED, a + 8, nextOffset);
        small.set(JAVA_INT_UNALIGNED, a + 16, bytes.length);
        small.set(JAVA_INT_UNALIGNED, a + 20, type);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, small, a + 24, bytes.length);
        return at + size;
    }
}
