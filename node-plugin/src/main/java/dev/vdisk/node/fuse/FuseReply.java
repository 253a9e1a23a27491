package dev.vdisk.node.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Encodes the replies of one request slot (a /dev/fuse worker or an io_uring entry) and hands each to its
 * {@link Sink}, which is what differs between the transports. The out arguments (everything after the
 * fuse_out_header) are encoded into {@code body}; READ data is already in the slot's payload area, which the
 * sink knows how to send along with the header without a copy.
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
    static final int ATTR_OUT_SIZE = 104,
            ENTRY_OUT_SIZE = 128,
            OPEN_OUT_SIZE = 16,
            WRITE_OUT_SIZE = 8,
            STATFS_OUT_SIZE = 80,
            INIT_OUT_SIZE = 64,
            LSEEK_OUT_SIZE = 8;
    /** Names and attributes never change behind the kernel's back except by resize, which invalidates. */
    private static final long VALID_SECONDS = 3600;

    /** Delivers a reply to the kernel; the transport's part. Must not allocate. */
    interface Sink {
        /**
         * @param error      0 or -errno
         * @param bodyLength bytes of out arguments: in the body, or for {@code data} in the payload area
         * @param data       the out argument is READ data in the payload area rather than an encoded body
         */
        void send(long unique, int error, int bodyLength, boolean data);
    }

    private final MemorySegment body;
    private final Sink sink;

    /** @param body where out arguments are encoded (offset 0 is the first byte after the out header) */
    FuseReply(MemorySegment body, Sink sink) {
        this.body = body;
        this.sink = sink;
    }

    void error(long unique, int errno) {
        sink.send(unique, -errno, 0, false);
    }

    void empty(long unique) {
        sink.send(unique, 0, 0, false);
    }

    /** Sends the reply with {@code bodyLength} bytes of body already encoded. */
    void ok(long unique, int bodyLength) {
        sink.send(unique, 0, bodyLength, false);
    }

    /** Sends {@code length} bytes of READ data that the backend left at the slot's payload area. */
    void data(long unique, int length) {
        sink.send(unique, 0, length, true);
    }

    // ---- encoders: write a struct into the body at the given body offset ----

    void attr(long at, long inode, long size, int mode, int nlink, long time) {
        long a = at;
        body.set(JAVA_LONG_UNALIGNED, a, inode);
        body.set(JAVA_LONG_UNALIGNED, a + 8, size);
        body.set(JAVA_LONG_UNALIGNED, a + 16, (size + 511) / 512);
        body.set(JAVA_LONG_UNALIGNED, a + 24, time);
        body.set(JAVA_LONG_UNALIGNED, a + 32, time);
        body.set(JAVA_LONG_UNALIGNED, a + 40, time);
        body.set(JAVA_INT_UNALIGNED, a + 48, 0);
        body.set(JAVA_INT_UNALIGNED, a + 52, 0);
        body.set(JAVA_INT_UNALIGNED, a + 56, 0);
        body.set(JAVA_INT_UNALIGNED, a + 60, mode);
        body.set(JAVA_INT_UNALIGNED, a + 64, nlink);
        body.set(JAVA_INT_UNALIGNED, a + 68, 0);
        body.set(JAVA_INT_UNALIGNED, a + 72, 0);
        body.set(JAVA_INT_UNALIGNED, a + 76, 0);
        body.set(JAVA_INT_UNALIGNED, a + 80, 4096);
        body.set(JAVA_INT_UNALIGNED, a + 84, 0);
    }

    /** fuse_attr_out; the attr itself is encoded by {@link #attr} at body offset 16. */
    void attrOutHeader() {
        body.set(JAVA_LONG_UNALIGNED, 0, VALID_SECONDS);
        body.set(JAVA_INT_UNALIGNED, 8, 0);
        body.set(JAVA_INT_UNALIGNED, 12, 0);
    }

    /** fuse_entry_out; the attr itself is encoded by {@link #attr} at body offset 40. */
    void entryOutHeader(long nodeId) {
        body.set(JAVA_LONG_UNALIGNED, 0, nodeId);
        body.set(JAVA_LONG_UNALIGNED, 8, 1L);
        body.set(JAVA_LONG_UNALIGNED, 16, VALID_SECONDS);
        body.set(JAVA_LONG_UNALIGNED, 24, VALID_SECONDS);
        body.set(JAVA_INT_UNALIGNED, 32, 0);
        body.set(JAVA_INT_UNALIGNED, 36, 0);
    }

    void openOut(long fh, int openFlags) {
        body.set(JAVA_LONG_UNALIGNED, 0, fh);
        body.set(JAVA_INT_UNALIGNED, 8, openFlags);
        body.set(JAVA_INT_UNALIGNED, 12, 0);
    }

    void writeOut(int size) {
        body.set(JAVA_INT_UNALIGNED, 0, size);
        body.set(JAVA_INT_UNALIGNED, 4, 0);
    }

    void lseekOut(long offset) {
        body.set(JAVA_LONG_UNALIGNED, 0, offset);
    }

    void statfsOut(long blocks, long bfree, long files) {
        body.asSlice(0, STATFS_OUT_SIZE).fill((byte) 0);
        body.set(JAVA_LONG_UNALIGNED, 0, blocks);
        body.set(JAVA_LONG_UNALIGNED, 8, bfree);
        body.set(JAVA_LONG_UNALIGNED, 16, bfree);
        body.set(JAVA_LONG_UNALIGNED, 24, files);
        body.set(JAVA_LONG_UNALIGNED, 32, 0);
        // bsize is also the loop driver's discard granularity (loop_config_discard reads statfs f_bsize)
        body.set(JAVA_INT_UNALIGNED, 40, 4096);
        body.set(JAVA_INT_UNALIGNED, 44, 255);
        body.set(JAVA_INT_UNALIGNED, 48, 4096);
    }

    void initOut(
            int minor,
            int maxReadahead,
            int flags,
            int maxBackground,
            int congestionThreshold,
            int maxWrite,
            int maxPages,
            int flags2) {
        body.asSlice(0, INIT_OUT_SIZE).fill((byte) 0);
        body.set(JAVA_INT_UNALIGNED, 0, FuseProtocol.KERNEL_VERSION);
        body.set(JAVA_INT_UNALIGNED, 4, minor);
        body.set(JAVA_INT_UNALIGNED, 8, maxReadahead);
        body.set(JAVA_INT_UNALIGNED, 12, flags);
        body.set(JAVA_SHORT_UNALIGNED, 16, (short) maxBackground);
        body.set(JAVA_SHORT_UNALIGNED, 18, (short) congestionThreshold);
        body.set(JAVA_INT_UNALIGNED, 20, maxWrite);
        body.set(JAVA_INT_UNALIGNED, 24, 1);
        body.set(JAVA_SHORT_UNALIGNED, 28, (short) maxPages);
        body.set(JAVA_INT_UNALIGNED, 32, flags2);
    }

    /**
     * Appends a fuse_dirent at body offset {@code at}; returns the new body length, or -1 if it does not fit
     * in {@code limit}.
     */
    int dirent(int at, int limit, long inode, long nextOffset, int type, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int size = (24 + bytes.length + 7) & ~7;
        if (at + size > limit || at + size > body.byteSize()) {
            return -1;
        }
        long a = at;
        body.asSlice(a, size).fill((byte) 0);
        body.set(JAVA_LONG_UNALIGNED, a, inode);
        body.set(JAVA_LONG_UNALIGNED, a + 8, nextOffset);
        body.set(JAVA_INT_UNALIGNED, a + 16, bytes.length);
        body.set(JAVA_INT_UNALIGNED, a + 20, type);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, body, a + 24, bytes.length);
        return at + size;
    }
}
