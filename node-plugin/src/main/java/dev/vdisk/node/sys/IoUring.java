package dev.vdisk.node.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance with 128-byte submission entries (SQE128, which {@code IORING_OP_URING_CMD} on /dev/fuse
 * needs), set up with raw system calls and mmap; no liburing.
 *
 * <p>Use: {@link #nextSqe} returns the byte offset of a free, zeroed entry in {@link #sqes()}; fill it with the
 * {@code prep…} methods; {@link #submitAndWait} publishes what was prepared and waits for at least one
 * completion; then read completions with {@link #cqReady}, {@link #cqeUserData}, {@link #cqeResult} and release
 * them with {@link #cqAdvance}. Nothing of that allocates.
 *
 * <p>Threading: single issuer. The ring is created with {@code SINGLE_ISSUER | DEFER_TASKRUN}: only the thread
 * that created it may submit, and completion work the kernel defers (for FUSE: copying the next request into our
 * buffers) runs only inside that thread's {@link #submitAndWait}, which batches it.
 *
 * <p>Layouts (little-endian, offsets in bytes):
 * <pre>
 * io_uring_params   sq_entries u32 @0 | cq_entries @4 | flags @8 | sq_thread_cpu @12 | sq_thread_idle @16
 *                   | features @20 | wq_fd @24 | resv[3] @28 | sq_off @40 | cq_off @80                 (120 bytes)
 * io_sqring_offsets head @0 | tail @4 | ring_mask @8 | ring_entries @12 | flags @16 | dropped @20 | array @24
 *                   | resv1 @28 | user_addr u64 @32                                                      (40 bytes)
 * io_cqring_offsets head @0 | tail @4 | ring_mask @8 | ring_entries @12 | overflow @16 | cqes @20 | flags @24
 *                   | resv1 @28 | user_addr u64 @32                                                      (40 bytes)
 * io_uring_sqe      opcode u8 @0 | flags u8 @1 | ioprio u16 @2 | fd i32 @4 | off / cmd_op u64 @8 | addr u64 @16
 *                   | len u32 @24 | rw_flags u32 @28 | user_data u64 @32 | buf_index u16 @40 | personality @42
 *                   | file_index i32 @44 | cmd[80] @48                                          (128 bytes, SQE128)
 * io_uring_cqe      user_data u64 @0 | res i32 @8 | flags u32 @12                                        (16 bytes)
 * </pre>
 */
public final class IoUring implements AutoCloseable {
    public static final byte OP_READ = 22, OP_WRITE = 23, OP_URING_CMD = 46;
    /** Byte offset of the command area inside an SQE128 ({@code sqe->cmd}). */
    public static final int SQE_CMD = 48;

    public static final int SQE_SIZE = 128;

    private static final long SYS_IO_URING_SETUP = 425, SYS_IO_URING_ENTER = 426;
    private static final int SETUP_CQSIZE = 1 << 3,
            SETUP_SQE128 = 1 << 10,
            SETUP_SINGLE_ISSUER = 1 << 12,
            SETUP_DEFER_TASKRUN = 1 << 13;
    private static final int FEAT_SINGLE_MMAP = 1;
    private static final int ENTER_GETEVENTS = 1;
    private static final long OFF_SQ_RING = 0, OFF_CQ_RING = 0x8000000L, OFF_SQES = 0x10000000L;
    private static final int CQE_SIZE = 16;
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final int fd;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqHeadAt, sqTailAt, cqHeadAt, cqTailAt, cqesAt;
    private final int sqMask, sqEntries, cqMask;
    /** Local copies: only this (single issuer) thread moves them; published with release stores. */
    private int sqTail, cqHead;

    private int prepared;

    private IoUring(int fd, MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes, MemorySegment params) {
        this.fd = fd;
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        sqHeadAt = params.get(JAVA_INT, 40);
        sqTailAt = params.get(JAVA_INT, 44);
        sqMask = sqRing.get(JAVA_INT, params.get(JAVA_INT, 48));
        sqEntries = sqRing.get(JAVA_INT, params.get(JAVA_INT, 52));
        cqHeadAt = params.get(JAVA_INT, 80);
        cqTailAt = params.get(JAVA_INT, 84);
        cqMask = cqRing.get(JAVA_INT, params.get(JAVA_INT, 88));
        cqesAt = params.get(JAVA_INT, 100);
        // identity mapping of the SQ index array, written once: entry i of the array always names SQE i
        long array = params.get(JAVA_INT, 64);
        for (int i = 0; i < sqEntries; i++) {
            sqRing.set(JAVA_INT, array + 4L * i, i);
        }
        sqTail = (int) INT.getAcquire(sqRing, sqTailAt);
        cqHead = (int) INT.getAcquire(cqRing, cqHeadAt);
    }

    /**
     * Creates a ring with at least {@code entries} submission entries and twice as many completion entries, owned
     * by the calling thread.
     */
    public static IoUring create(int entries) throws ErrnoException {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment params = scratch.allocate(120, 8);
            params.set(JAVA_INT, 4, entries * 2);
            params.set(JAVA_INT, 8, SETUP_SQE128 | SETUP_CQSIZE | SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN);
            long r = Libc.syscall(SYS_IO_URING_SETUP, entries, params.address(), 0, 0, 0, 0);
            if (r < 0) {
                throw new ErrnoException("io_uring_setup(" + entries + ")", Libc.errno());
            }
            int fd = (int) r;
            try {
                if ((params.get(JAVA_INT, 20) & FEAT_SINGLE_MMAP) == 0) {
                    throw new ErrnoException(
                            "io_uring without IORING_FEAT_SINGLE_MMAP (kernel older than 5.4)", Libc.ENOSYS);
                }
                int sqEntries = params.get(JAVA_INT, 0);
                int cqEntries = params.get(JAVA_INT, 4);
                long sqSize = params.get(JAVA_INT, 64) + 4L * sqEntries;
                long cqSize = params.get(JAVA_INT, 100) + (long) CQE_SIZE * cqEntries;
                MemorySegment rings = Libc.checkedMmap(
                        Math.max(sqSize, cqSize),
                        Libc.PROT_READ | Libc.PROT_WRITE,
                        Libc.MAP_SHARED | Libc.MAP_POPULATE,
                        fd,
                        OFF_SQ_RING,
                        "io_uring rings");
                MemorySegment sqes = Libc.checkedMmap(
                        (long) SQE_SIZE * sqEntries,
                        Libc.PROT_READ | Libc.PROT_WRITE,
                        Libc.MAP_SHARED | Libc.MAP_POPULATE,
                        fd,
                        OFF_SQES,
                        "io_uring sqes");
                return new IoUring(fd, rings, rings, sqes, params);
            } catch (ErrnoException | RuntimeException e) {
                Libc.close(fd);
                throw e;
            }
        }
    }

    /** The submission entries; {@link #nextSqe} offsets point into it. */
    public MemorySegment sqes() {
        return sqes;
    }

    /** Offset in {@link #sqes()} of a free entry, zeroed; -1 if the submission queue is full. */
    public long nextSqe() {
        int head = (int) INT.getAcquire(sqRing, sqHeadAt);
        if (sqTail - head >= sqEntries) {
            return -1;
        }
        long at = (long) (sqTail & sqMask) * SQE_SIZE;
        for (long i = 0; i < SQE_SIZE; i += 8) {
            sqes.set(JAVA_LONG, at + i, 0L);
        }
        sqTail++;
        prepared++;
        return at;
    }

    /** A read or write of {@code length} bytes at file {@code offset} into/from native address {@code buffer}. */
    public void prepReadWrite(long sqe, byte opcode, int fd, long buffer, int length, long offset, long userData) {
        sqes.set(JAVA_BYTE, sqe, opcode);
        sqes.set(JAVA_INT, sqe + 4, fd);
        sqes.set(JAVA_LONG, sqe + 8, offset);
        sqes.set(JAVA_LONG, sqe + 16, buffer);
        sqes.set(JAVA_INT, sqe + 24, length);
        sqes.set(JAVA_LONG, sqe + 32, userData);
    }

    /**
     * A driver command ({@code IORING_OP_URING_CMD}) on {@code fd}; the caller writes the command's own struct at
     * {@code sqe + SQE_CMD}.
     */
    public void prepUringCmd(long sqe, int fd, int cmdOp, long addr, int len, long userData) {
        sqes.set(JAVA_BYTE, sqe, OP_URING_CMD);
        sqes.set(JAVA_INT, sqe + 4, fd);
        sqes.set(JAVA_INT, sqe + 8, cmdOp);
        sqes.set(JAVA_LONG, sqe + 16, addr);
        sqes.set(JAVA_INT, sqe + 24, len);
        sqes.set(JAVA_LONG, sqe + 32, userData);
    }

    public void setCmdLong(long sqe, int at, long value) {
        sqes.set(JAVA_LONG, sqe + SQE_CMD + at, value);
    }

    public void setCmdShort(long sqe, int at, short value) {
        sqes.set(JAVA_SHORT, sqe + SQE_CMD + at, value);
    }

    /**
     * Submits every entry prepared since the last call and waits until at least {@code minComplete} completions
     * are there (0: do not wait). Returns the number submitted, or -errno (EINTR is the caller's to retry).
     */
    public int submitAndWait(int minComplete) {
        int toSubmit = prepared;
        INT.setRelease(sqRing, sqTailAt, sqTail);
        long r = Libc.syscall(SYS_IO_URING_ENTER, fd, toSubmit, minComplete, ENTER_GETEVENTS, 0, 0);
        if (r < 0) {
            return -Libc.errno();
        }
        prepared -= (int) r;
        return (int) r;
    }

    /** Completions ready to be read. */
    public int cqReady() {
        return (int) INT.getAcquire(cqRing, cqTailAt) - cqHead;
    }

    /** user_data of the {@code i}-th ready completion. */
    public long cqeUserData(int i) {
        return cqRing.get(JAVA_LONG, cqesAt + (long) ((cqHead + i) & cqMask) * CQE_SIZE);
    }

    /** res of the {@code i}-th ready completion. */
    public int cqeResult(int i) {
        return cqRing.get(JAVA_INT, cqesAt + (long) ((cqHead + i) & cqMask) * CQE_SIZE + 8);
    }

    /** Releases the first {@code n} ready completions to the kernel. */
    public void cqAdvance(int n) {
        cqHead += n;
        INT.setRelease(cqRing, cqHeadAt, cqHead);
    }

    @Override
    public void close() {
        Libc.munmap(sqes);
        Libc.munmap(sqRing);
        Libc.close(fd);
    }
}
