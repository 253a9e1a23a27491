package dev.vdisk.node.fuse;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * A reusable view of the request a slot (a /dev/fuse worker or an io_uring entry) has just received; it decodes
 * fields in place and allocates nothing (only {@link #name} builds a String, for LOOKUP).
 *
 * <p>Where the parts lie depends on the transport: from /dev/fuse the header, the opcode's fixed struct and any
 * trailing bytes (LOOKUP's name) are contiguous ({@link #contiguous}); through io_uring the kernel puts the
 * header in the entry's {@code in_out} area, the fixed struct in {@code op_in} and the rest, whose length it
 * writes into {@code ring_ent_in_out.payload_sz}, in the payload buffer ({@link #ring}).
 *
 * <p>Layouts (all little-endian, offsets in bytes; the body follows the 40-byte header):
 * <pre>
 * fuse_in_header   len u32 @0 | opcode u32 @4 | unique u64 @8 | nodeid u64 @16 | uid u32 @24 | gid u32 @28
 *                  | pid u32 @32 | total_extlen u16 @36 | padding u16 @38                        (40 bytes)
 * fuse_init_in     major u32 @0 | minor @4 | max_readahead @8 | flags @12 | flags2 @16 | unused[11]
 * fuse_read_in     fh u64 @0 | offset u64 @8 | size u32 @16 | read_flags u32 @20 | lock_owner u64 @24
 *                  | flags u32 @32 | padding @36                                                 (40 bytes)
 * fuse_write_in    same as fuse_read_in (write_flags @20); the data follows at body + 40
 * fuse_setattr_in  valid u32 @0 | padding @4 | fh u64 @8 | size u64 @16 | ...
 * fuse_fsync_in    fh u64 @0 | fsync_flags u32 @8 | padding @12
 * fuse_fallocate_in fh u64 @0 | offset u64 @8 | length u64 @16 | mode u32 @24 | padding @28
 * fuse_lseek_in    fh u64 @0 | offset u64 @8 | whence u32 @16 | padding @20
 * fuse_batch_forget_in count u32 @0 | dummy @4, then count x (nodeid u64, nlookup u64)
 * LOOKUP           the name, NUL-terminated
 * </pre>
 * READDIR carries a fuse_read_in. io_uring entry header (fuse_uring_req_header): in_out[128] @0 | op_in[128]
 * @128 | ring_ent_in_out: flags u64 @256 | commit_id u64 @264 | payload_sz u32 @272 | padding @276 | reserved @280.
 * Extensions ({@code total_extlen}) are never negotiated, so never present.
 */
final class FuseRequest {
    static final int HEADER_SIZE = 40;
    static final int READ_IN_FH = 0, READ_IN_OFFSET = 8, READ_IN_SIZE = 16;
    static final int WRITE_IN_SIZE_OF = 40;
    static final int SETATTR_IN_VALID = 0, SETATTR_IN_SIZE = 16;
    static final int FALLOCATE_IN_OFFSET = 8, FALLOCATE_IN_LENGTH = 16, FALLOCATE_IN_MODE = 24;
    static final int LSEEK_IN_OFFSET = 8, LSEEK_IN_WHENCE = 16;
    static final int INIT_IN_MAJOR = 0,
            INIT_IN_MINOR = 4,
            INIT_IN_MAX_READAHEAD = 8,
            INIT_IN_FLAGS = 12,
            INIT_IN_FLAGS2 = 16;
    static final int RING_OP_IN = 128, RING_COMMIT_ID = 264, RING_PAYLOAD_SIZE = 272, RING_HEADER_SIZE = 288;

    private final MemorySegment header;
    private final MemorySegment args;
    private final MemorySegment trailing;
    /** Where the ring header says how many trailing bytes there are; -1 for the contiguous layout. */
    private final long trailingSizeAt;

    private FuseRequest(MemorySegment header, MemorySegment args, MemorySegment trailing, long trailingSizeAt) {
        this.header = header;
        this.args = args;
        this.trailing = trailing;
        this.trailingSizeAt = trailingSizeAt;
    }

    /** A request read from /dev/fuse into {@code buffer} at {@code start}. */
    static FuseRequest contiguous(MemorySegment buffer, long start) {
        MemorySegment header = buffer.asSlice(start);
        MemorySegment args = buffer.asSlice(start + HEADER_SIZE);
        return new FuseRequest(header, args, args, -1);
    }

    /** A request the kernel put in an io_uring entry's header and payload buffers. */
    static FuseRequest ring(MemorySegment entryHeader, MemorySegment payload) {
        return new FuseRequest(entryHeader, entryHeader.asSlice(RING_OP_IN), payload, RING_PAYLOAD_SIZE);
    }

    int length() {
        return header.get(JAVA_INT_UNALIGNED, 0);
    }

    int opcode() {
        return header.get(JAVA_INT_UNALIGNED, 4);
    }

    long unique() {
        return header.get(JAVA_LONG_UNALIGNED, 8);
    }

    long nodeId() {
        return header.get(JAVA_LONG_UNALIGNED, 16);
    }

    /** The caller's fsuid as the kernel saw it (in the mount's user namespace); 0 for the kernel's own requests. */
    int uid() {
        return header.get(JAVA_INT_UNALIGNED, 24);
    }

    int pid() {
        return header.get(JAVA_INT_UNALIGNED, 32);
    }

    int bodyInt(int offset) {
        return args.get(JAVA_INT_UNALIGNED, offset);
    }

    long bodyLong(int offset) {
        return args.get(JAVA_LONG_UNALIGNED, offset);
    }

    /** Bytes after the fixed struct: LOOKUP's name (a WRITE's data is read where the payload is). */
    long trailingLength() {
        return trailingSizeAt < 0
                ? length() - HEADER_SIZE
                : Integer.toUnsignedLong(header.get(JAVA_INT_UNALIGNED, trailingSizeAt));
    }

    /** The NUL-terminated name in the trailing bytes (LOOKUP). */
    String name() {
        long end = Math.min(trailingLength(), trailing.byteSize());
        long i = 0;
        while (i < end && trailing.get(JAVA_BYTE, i) != 0) {
            i++;
        }
        return new String(trailing.asSlice(0, i).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }
}
