package dev.vdisk.node.fuse;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * A reusable view of the request a worker has just read; it decodes fields in place and allocates nothing
 * (only {@link #name} builds a String, for LOOKUP).
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
 * READDIR carries a fuse_read_in. Extensions ({@code total_extlen}) are never negotiated, so never present.
 */
final class FuseRequest {
    static final int HEADER_SIZE = 40;
    static final int READ_IN_FH = 0, READ_IN_OFFSET = 8, READ_IN_SIZE = 16;
    static final int WRITE_IN_SIZE_OF = 40;
    static final int SETATTR_IN_VALID = 0, SETATTR_IN_SIZE = 16;
    static final int FALLOCATE_IN_OFFSET = 8, FALLOCATE_IN_LENGTH = 16, FALLOCATE_IN_MODE = 24;
    static final int LSEEK_IN_OFFSET = 8, LSEEK_IN_WHENCE = 16;
    static final int INIT_IN_MAJOR = 0, INIT_IN_MINOR = 4, INIT_IN_MAX_READAHEAD = 8, INIT_IN_FLAGS = 12;

    private final MemorySegment buffer;
    private final long start;

    /** @param start where in {@code buffer} the worker has the kernel place the header */
    FuseRequest(MemorySegment buffer, long start) {
        this.buffer = buffer;
        this.start = start;
    }

    int length() {
        return buffer.get(JAVA_INT_UNALIGNED, start);
    }

    int opcode() {
        return buffer.get(JAVA_INT_UNALIGNED, start + 4);
    }

    long unique() {
        return buffer.get(JAVA_LONG_UNALIGNED, start + 8);
    }

    long nodeId() {
        return buffer.get(JAVA_LONG_UNALIGNED, start + 16);
    }

    int bodyInt(int offset) {
        return buffer.get(JAVA_INT_UNALIGNED, start + HEADER_SIZE + offset);
    }

    long bodyLong(int offset) {
        return buffer.get(JAVA_LONG_UNALIGNED, start + HEADER_SIZE + offset);
    }

    /** The NUL-terminated name at the start of the body (LOOKUP). */
    String name() {
        long from = start + HEADER_SIZE;
        long end = start + length();
        long i = from;
        while (i < end && buffer.get(JAVA_BYTE, i) != 0) {
            i++;
        }
        return new String(buffer.asSlice(from, i - from).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }
}
