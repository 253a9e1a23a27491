package dev.vdisk.node.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.EventFd;
import dev.vdisk.node.sys.IoUring;
import dev.vdisk.node.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread of the io_uring transport: owns one io_uring and {@code depth} FUSE ring entries of one kernel
 * queue (the kernel has one queue per possible CPU and hands a request to the queue of the CPU that issued it).
 *
 * <p>Each entry is a request slot: a 288-byte header (fuse_uring_req_header: in/out header, the opcode's fixed
 * struct, ring_ent_in_out) and a payload buffer of the connection's max payload (1 MiB), registered once with
 * {@code FUSE_IO_URING_CMD_REGISTER}. The kernel completes the entry's command when it has put a request there;
 * the entry's {@link FuseDispatcher} answers it; the answer goes back with {@code COMMIT_AND_FETCH}, which also
 * re-arms the entry for the next request. READ and WRITE on a file-backed image do not block the thread: the
 * dispatcher has this ring read the file into (or write it from) the payload buffer, and the commit follows that
 * completion. So one thread serves many requests, and all the commits, fetches and file I/O prepared while
 * draining the completion queue leave in one io_uring_enter, which also waits for the next completions.
 *
 * <p>Other backends (the engine) may block: with a call pool their requests go to it ({@link
 * FuseDispatcher.BackendCalls}), so that a slow call holds its own entry only. The call thread answers into the
 * entry's buffers, queues the entry on {@link #answered} and signals {@link #wake}, an eventfd this ring always has a
 * read on; the ring thread then commits the answer like any other. An entry whose call is out belongs to the call
 * thread until it is on {@link #answered}.
 *
 * <p>user_data of an SQE: the entry index, plus {@link #FILE_IO} for the entry's file I/O; {@link #WAKE} for the
 * eventfd read.
 *
 * <p>Ends when every entry's command has come back with an error: unmount and abort tear the queue down
 * (-ENOTCONN); an entry whose call is out ends when its commit fails. Frees its ring and buffers on the way out
 * (the eventfd once no call thread can still signal it). Confined to its thread, apart from {@link #registered},
 * {@link #answered}, {@link #wake} and {@link #callsOut}.
 */
final class UringQueueWorker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(UringQueueWorker.class);
    private static final long FILE_IO = 1L << 32;
    private static final long WAKE = 1L << 33;
    private static final int HEADER_STRIDE = 512;

    private final int devFd;
    private final int qid;
    private final int depth;
    private final long payloadSize;
    private final FuseSession session;
    private final ImageDirectory directory;
    private final FuseConfig config;
    private final long time;
    private final LongAdder served;
    /** Where backend calls run; null: on this thread. */
    private final Executor calls;
    /** Entries whose call has answered, for this thread to commit. */
    private final ConcurrentLinkedQueue<Entry> answered = new ConcurrentLinkedQueue<>();
    /** Calls handed out and not yet signalled back. */
    private final AtomicInteger callsOut = new AtomicInteger();
    /** Completed when every entry is registered, or exceptionally if setting up failed. */
    final CompletableFuture<Void> registered = new CompletableFuture<>();

    private IoUring ring;
    private Entry[] entries;
    private EventFd wake;
    private MemorySegment wakeCount;

    UringQueueWorker(
            int devFd,
            int qid,
            int depth,
            FuseSession session,
            ImageDirectory directory,
            FuseConfig config,
            long time,
            LongAdder served,
            Executor calls) {
        this.devFd = devFd;
        this.qid = qid;
        this.depth = depth;
        // the kernel wants at least max(8 KiB, max_write, max_pages * 4 KiB); max_pages = max_write / 4 KiB
        this.payloadSize = Math.max(8192, config.maxWrite());
        this.session = session;
        this.directory = directory;
        this.config = config;
        this.time = time;
        this.served = served;
        this.calls = calls;
    }

    @Override
    public void run() {
        MemorySegment payloads = null;
        // shared: call threads read the request headers and write the replies (the payloads are an mmap)
        try (Arena arena = Arena.ofShared()) {
            try {
                ring = IoUring.create(depth + 1); // an SQE per entry, one for the eventfd read
                if (calls != null) {
                    wake = EventFd.create();
                    wakeCount = Arena.ofAuto()
                            .allocate(8, 8); // outlives the confined arena: the read is out until the ring closes
                }
                // anonymous mapping: only the pages requests actually use become resident
                payloads = Libc.checkedMmap(
                        payloadSize * depth,
                        Libc.PROT_READ | Libc.PROT_WRITE,
                        Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS,
                        -1,
                        0,
                        "FUSE ring payloads");
                MemorySegment headers = arena.allocate((long) HEADER_STRIDE * depth, 4096);
                MemorySegment iovecs = arena.allocate(32L * depth, 8);
                entries = new Entry[depth];
                for (int i = 0; i < depth; i++) {
                    entries[i] = new Entry(
                            i,
                            headers.asSlice((long) i * HEADER_STRIDE, HEADER_STRIDE),
                            payloads.asSlice(i * payloadSize, payloadSize),
                            iovecs.asSlice(32L * i, 32));
                    entries[i].register();
                }
                submitRegistrations();
            } catch (IOException | RuntimeException e) {
                registered.completeExceptionally(e);
                return;
            }
            registered.complete(null);
            serve();
        } finally {
            if (ring != null) {
                ring.close();
            }
            if (payloads != null) {
                Libc.munmap(payloads);
            }
            if (wake != null) {
                while (callsOut.get() > 0) { // a call thread between queueing its entry and signalling
                    Thread.onSpinWait();
                }
                wake.close();
            }
        }
    }

    private long sqe() {
        long sqe = ring.nextSqe();
        if (sqe < 0) { // one per entry and one for the eventfd at most
            throw new IllegalStateException("FUSE ring of queue " + qid + " has no free SQE");
        }
        return sqe;
    }

    private void armWake() {
        ring.prepReadWrite(sqe(), IoUring.OP_READ, wake.fd(), wakeCount.address(), 8, 0, WAKE);
    }

    /** Commits the answers of the calls that came back. */
    private void collectAnswers() {
        for (Entry e = answered.poll(); e != null; e = answered.poll()) {
            e.callDone();
        }
    }

    /** Registration errors come back at once (the command is not queued); success leaves no completion. */
    private void submitRegistrations() throws IOException {
        int r;
        do {
            r = ring.submitAndWait(0);
        } while (r == -Libc.EINTR);
        if (r < 0) {
            throw new ErrnoException("io_uring_enter (FUSE ring registration, queue " + qid + ")", -r);
        }
        int ready = ring.cqReady();
        for (int i = 0; i < ready; i++) {
            int res = ring.cqeResult(i);
            if (res < 0) {
                throw new ErrnoException("FUSE_IO_URING_CMD_REGISTER (queue " + qid + ")", -res);
            }
        }
        if (r != depth) {
            throw new IOException(
                    "io_uring took " + r + " of " + depth + " FUSE ring registrations (queue " + qid + ")");
        }
    }

    private void serve() {
        int live = depth;
        if (wake != null) {
            armWake();
        }
        while (live > 0) {
            int r = ring.submitAndWait(1);
            if (r < 0 && r != -Libc.EINTR && r != -Libc.EAGAIN && r != -Libc.EBUSY) {
                LOG.error("io_uring_enter on FUSE queue {} failed: {}; its thread stops", qid, Libc.strerror(-r));
                return;
            }
            int ready = ring.cqReady();
            for (int i = 0; i < ready; i++) {
                long userData = ring.cqeUserData(i);
                int res = ring.cqeResult(i);
                if (userData == WAKE) {
                    if (res >= 0) {
                        armWake(); // before collecting: a signal after this read is seen by the next one
                    } else {
                        LOG.error("FUSE queue {}: reading its eventfd failed: {}", qid, Libc.strerror(-res));
                    }
                    collectAnswers();
                    continue;
                }
                Entry entry = entries[(int) userData];
                if ((userData & FILE_IO) != 0) {
                    entry.fileIoDone(res);
                } else if (res == 0) {
                    entry.requestArrived();
                } else {
                    live--;
                    if (res != -Libc.ENOTCONN && res != -Libc.ECANCELED && res != -Libc.ECONNABORTED) {
                        LOG.error("FUSE ring entry {} of queue {} ended: {}", entry.index, qid, Libc.strerror(-res));
                    }
                }
            }
            ring.cqAdvance(ready);
        }
        LOG.debug("FUSE queue {}: all {} entries released", qid, depth);
    }

    /** One request slot: its buffers, the views over them, and its dispatcher. */
    private final class Entry implements FuseReply.Sink, FuseDispatcher.FileIo, FuseDispatcher.BackendCalls {
        final int index;
        private final MemorySegment header;
        private final MemorySegment payload;
        private final MemorySegment iovec;
        private final FuseDispatcher dispatcher;
        // written by whichever thread owns the entry; handed over through calls' queue and answered
        private boolean replied;
        private boolean ioPending;
        /** The call {@link #start} was given, to hand out once the dispatcher returned. */
        private Runnable call;

        private final Runnable callTask = this::runCall;

        Entry(int index, MemorySegment header, MemorySegment payload, MemorySegment iovec) {
            this.index = index;
            this.header = header;
            this.payload = payload;
            this.iovec = iovec;
            FuseReply reply = new FuseReply(payload, this);
            this.dispatcher = new FuseDispatcher(
                    session,
                    directory,
                    config,
                    time,
                    FuseRequest.ring(header, payload),
                    reply,
                    payload.asByteBuffer(),
                    this,
                    calls != null ? this : null);
        }

        void register() {
            iovec.set(JAVA_LONG, 0, header.address());
            iovec.set(JAVA_LONG, 8, FuseRequest.RING_HEADER_SIZE);
            iovec.set(JAVA_LONG, 16, payload.address());
            iovec.set(JAVA_LONG, 24, payload.byteSize());
            long sqe = sqe();
            ring.prepUringCmd(sqe, devFd, FuseProtocol.URING_CMD_REGISTER, iovec.address(), 2, index);
            ring.setCmdShort(sqe, FuseProtocol.URING_CMD_REQ_QID, (short) qid);
        }

        void requestArrived() {
            served.increment();
            replied = false;
            ioPending = false;
            dispatcher.handle();
            afterDispatch();
        }

        void fileIoDone(int result) {
            replied = false;
            ioPending = false;
            dispatcher.fileIoDone(result);
            afterDispatch();
        }

        @Override
        public void start(Runnable c) {
            call = c;
            ioPending = true;
        }

        /** On a call thread: answers the request, then gives the entry back to the ring thread. */
        private void runCall() {
            try {
                call.run();
            } finally {
                answered.add(this);
                wake.signal();
                callsOut.decrementAndGet();
            }
        }

        /** The call answered (on the ring thread again). */
        void callDone() {
            call = null;
            ioPending = false;
            afterDispatch();
        }

        private void afterDispatch() {
            if (!replied && !ioPending) {
                // a request that wants no reply never comes over the ring; if one did, the entry must not be lost
                send(header.get(JAVA_LONG, 8), -Libc.ENOSYS, 0, false);
            }
            if (replied) {
                long sqe = sqe();
                ring.prepUringCmd(sqe, devFd, FuseProtocol.URING_CMD_COMMIT_AND_FETCH, 0, 0, index);
                ring.setCmdLong(
                        sqe, FuseProtocol.URING_CMD_REQ_COMMIT_ID, header.get(JAVA_LONG, FuseRequest.RING_COMMIT_ID));
                ring.setCmdShort(sqe, FuseProtocol.URING_CMD_REQ_QID, (short) qid);
            }
            if (call != null && ioPending) { // after reading replied: from here the call thread owns the entry
                callsOut.incrementAndGet();
                calls.execute(callTask);
            }
        }

        /** The out header goes in in_out, the out arguments are already at the start of the payload. */
        @Override
        public void send(long unique, int error, int bodyLength, boolean data) {
            header.set(JAVA_INT, 0, FuseReply.OUT_HEADER_SIZE + bodyLength);
            header.set(JAVA_INT, 4, error);
            header.set(JAVA_LONG, 8, unique);
            header.set(JAVA_INT, FuseRequest.RING_PAYLOAD_SIZE, error == 0 ? bodyLength : 0);
            replied = true;
        }

        @Override
        public void submit(boolean write, int fd, long fileOffset, long payloadOffset, int length) {
            ring.prepReadWrite(
                    sqe(),
                    write ? IoUring.OP_WRITE : IoUring.OP_READ,
                    fd,
                    payload.address() + payloadOffset,
                    length,
                    fileOffset,
                    FILE_IO | index);
            ioPending = true;
        }
    }
}
