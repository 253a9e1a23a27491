package dev.vdisk.node.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.vdisk.node.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread of the /dev/fuse transport: blocks in read(2) on its descriptor, has the {@link FuseDispatcher}
 * answer the request, whose reply it writes with one write(2) ({@link FuseReply.Sink}); repeats until the
 * connection ends (ENODEV after unmount or abort). With the io_uring transport one such worker still runs: INIT,
 * FORGET and INTERRUPT always come this way.
 *
 * <p>Buffers: one page-aligned native buffer per worker, allocated once. The kernel writes the request at
 * {@link #REQUEST_START} = 4096 - 80, so that a WRITE's payload (after the 40-byte header and the 40-byte
 * fuse_write_in) starts exactly at {@link #PAYLOAD} = 4096, page-aligned. A READ's data is read by the
 * backend to the same place, and its reply header is written into the 16 bytes before it. The backend sees
 * one preallocated direct ByteBuffer over the payload area (reset per request, never reallocated), so a
 * request costs no Java allocation and no copy beyond the kernel's. Other replies are encoded in a separate
 * small buffer, behind their header.
 *
 * <p>Threading: the worker's buffers, request view, reply encoder and dispatcher are confined to its thread.
 */
final class FuseWorker implements Runnable, FuseReply.Sink {
    private static final Logger LOG = LoggerFactory.getLogger(FuseWorker.class);
    static final long PAYLOAD = 4096;
    static final long REQUEST_START = PAYLOAD - FuseRequest.HEADER_SIZE - FuseRequest.WRITE_IN_SIZE_OF;
    private static final int SMALL_REPLY_SIZE = 8192;

    private final int fd;
    private final MemorySegment requestArea;
    private final long requestAreaSize;
    /** Small replies: header at 0, body after it. */
    private final MemorySegment small;
    /** From 16 bytes before the payload: a READ's header + data leave from here. */
    private final MemorySegment dataReply;

    private final FuseDispatcher dispatcher;
    private final StopGate gate;

    FuseWorker(int fd, FuseSession session, ImageDirectory directory, FuseConfig config, Arena arena, long time) {
        this.fd = fd;
        this.gate = session.gate();
        // PAYLOAD bytes of headroom, the payload, and a page of slack for requests longer than their header
        MemorySegment buffer = arena.allocate(PAYLOAD + config.maxWrite() + 4096, 4096);
        this.requestArea = buffer.asSlice(REQUEST_START);
        this.requestAreaSize = requestArea.byteSize();
        this.small = arena.allocate(SMALL_REPLY_SIZE, 4096);
        this.dataReply = buffer.asSlice(PAYLOAD - FuseReply.OUT_HEADER_SIZE);
        FuseReply reply = new FuseReply(small.asSlice(FuseReply.OUT_HEADER_SIZE), this);
        this.dispatcher = new FuseDispatcher(
                session,
                directory,
                config,
                time,
                FuseRequest.contiguous(buffer, REQUEST_START),
                reply,
                buffer.asSlice(PAYLOAD, config.maxWrite()).asByteBuffer(),
                null,
                null);
    }

    @Override
    public void run() {
        while (true) {
            long n = Libc.read(fd, requestArea, requestAreaSize);
            if (n < 0) {
                int errno = Libc.errno();
                if (errno == Libc.EINTR || errno == Libc.EAGAIN || errno == Libc.ENOENT) {
                    continue; // ENOENT: the request was interrupted before we got it
                }
                if (errno != Libc.ENODEV) {
                    LOG.error("read on /dev/fuse failed: {}; worker stops", Libc.strerror(errno));
                }
                return; // ENODEV: unmounted or aborted
            }
            if (n < FuseRequest.HEADER_SIZE) {
                LOG.error("short FUSE request of {} bytes; worker stops", n);
                return;
            }
            if (!gate.enter()) {
                // handed over: the request stays in the kernel's processing queue of this descriptor; requeue it
                // (and whatever else is being processed) so that a successor already serving, even in this
                // process, gets it. Each worker does this once, then ends.
                FuseHandOver.writeResend(fd);
                return;
            }
            try {
                dispatcher.handle();
            } finally {
                gate.exit();
            }
        }
    }

    /** Fills in the header in front of the body and writes header + body: no allocation. */
    @Override
    public void send(long unique, int error, int bodyLength, boolean data) {
        MemorySegment segment = data ? dataReply : small;
        int length = FuseReply.OUT_HEADER_SIZE + bodyLength;
        segment.set(JAVA_INT_UNALIGNED, 0, length);
        segment.set(JAVA_INT_UNALIGNED, 4, error);
        segment.set(JAVA_LONG_UNALIGNED, 8, unique);
        long written = Libc.write(fd, segment, length);
        if (written < 0) {
            int errno = Libc.errno();
            // ENOENT: the request was interrupted and is gone; nothing to do
            if (errno != Libc.ENOENT) {
                LOG.warn("reply to request {} failed: {}", unique, Libc.strerror(errno));
            }
        }
    }
}
