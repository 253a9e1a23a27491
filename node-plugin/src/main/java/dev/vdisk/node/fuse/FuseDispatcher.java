package dev.vdisk.node.fuse;

import static dev.vdisk.node.fuse.FuseProtocol.*;

import dev.vdisk.node.backend.BackingFile;
import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.fuse.ImageDirectory.Image;
import dev.vdisk.node.sys.Libc;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where FUSE opcodes are answered, whatever brought the request (a /dev/fuse worker or an
 * io_uring entry): decodes it through its slot's {@link FuseRequest}, answers against the {@link ImageDirectory}
 * and the backends, encodes the answer with the slot's {@link FuseReply} and reports data-path requests to the
 * {@link FuseRequestObserver}. A request from any uid but root is refused before it is looked at
 * ({@link FuseAccess}), whichever transport brought it. Names and attributes: {@link FuseNamespace}; INIT:
 * {@link FuseInit}; the data path (READ, WRITE, FSYNC, FALLOCATE) here.
 *
 * <p>One dispatcher per slot, confined to the thread serving that slot; it holds the slot's views and, with a
 * ring, the state of the one file I/O the slot may have in flight. With a {@link FileIo} (io_uring transport),
 * READ and WRITE on a {@link BackingFile} backend are not called synchronously: the dispatcher asks the ring to
 * move the bytes between the file and the slot's payload buffer and answers in {@link #fileIoDone}. With
 * {@link BackendCalls} (io_uring transport), every other backend call (the engine's READ and WRITE, any FSYNC and
 * FALLOCATE) runs on a call thread instead of the ring thread, so that one slow call (a page-cache write that waits
 * for the host file system's journal, a throttled volume) holds its own request only, not the other requests of the
 * ring thread. The slot then belongs to that call thread until it has answered; the reply ordering rules hold as
 * they did: each request is answered once, after its backend call returned (a FSYNC covers the writes answered
 * before it was sent, which is all the block layer asks for).
 */
final class FuseDispatcher {
    static final Logger LOG = LoggerFactory.getLogger(FuseDispatcher.class);

    /**
     * Runs {@code call} (which answers the slot's request) on another thread, after the caller's {@link #handle}
     * returned; the slot's owner learns of the answer from that thread.
     */
    interface BackendCalls {
        void start(Runnable call);
    }

    /** Moves bytes between a file and the slot's payload buffer asynchronously; calls back {@link #fileIoDone}. */
    interface FileIo {
        /** @param payloadOffset where in the payload buffer the transfer starts */
        void submit(boolean write, int fd, long fileOffset, long payloadOffset, int length);
    }

    private final FuseSession session;
    private final ImageDirectory directory;
    private final FuseConfig config;
    private final FuseNamespace namespace;
    private final FuseRequestObserver observer;
    private final FuseRequest request;
    private final FuseReply reply;
    /** The slot's payload area as a reusable direct buffer for synchronous backends. */
    private final ByteBuffer payload;

    private final FileIo fileIo;
    private final BackendCalls calls;
    /** {@link #serve}, allocated once: what a call thread runs. */
    private final Runnable serveCall = this::serve;
    /** When the request now in the slot arrived (written before it is handed to a call thread). */
    private long arrived;

    // the slot's file I/O in flight (ring only)
    private FuseOp pendingOp;
    private int pendingFd;
    private long pendingUnique;
    private long pendingOffset;
    private int pendingLength;
    private int pendingDone;
    private long pendingStart;

    /**
     * @param fileIo null: no file I/O on a ring (the /dev/fuse transport)
     * @param calls null: every backend call runs on the slot's thread (the /dev/fuse transport)
     */
    FuseDispatcher(
            FuseSession session,
            ImageDirectory directory,
            FuseConfig config,
            long time,
            FuseRequest request,
            FuseReply reply,
            ByteBuffer payload,
            FileIo fileIo,
            BackendCalls calls) {
        this.session = session;
        this.directory = directory;
        this.config = config;
        this.namespace = new FuseNamespace(directory, request, reply, time);
        this.observer = config.observer();
        this.request = request;
        this.reply = reply;
        this.payload = payload;
        this.fileIo = fileIo;
        this.calls = calls;
    }

    /**
     * Answers the request now in the slot, starts its file I/O on the ring (answered by {@link #fileIoDone}), or
     * hands it to a call thread ({@link BackendCalls}).
     */
    void handle() {
        arrived = System.nanoTime();
        if (request.unique() < 0) {
            session.resent(); // bit 63: sent again after FUSE_NOTIFY_RESEND; the reply echoes it as read
        }
        if (!FuseAccess.allowed(request)) {
            FuseAccess.refuse(request, reply);
            return;
        }
        if (calls != null && callsBackend(request.opcode())) {
            calls.start(serveCall);
            return;
        }
        serve();
    }

    /** Whether the request calls a backend that may block (a file's READ and WRITE are the ring's own I/O). */
    private boolean callsBackend(int opcode) {
        return switch (opcode) {
            case FSYNC, FALLOCATE -> true;
            case READ, WRITE -> {
                Image image = directory.byInode(request.nodeId());
                yield image != null && !(fileIo != null && image.backend() instanceof BackingFile);
            }
            default -> false;
        };
    }

    /** Answers the request now in the slot (or starts its file I/O), on whichever thread owns the slot now. */
    private void serve() {
        long unique = request.unique();
        int opcode = request.opcode();
        long start = arrived;
        try {
            switch (opcode) {
                case READ -> served(FuseOp.READ, read(unique, start), start);
                case WRITE -> served(FuseOp.WRITE, write(unique, start), start);
                case FLUSH -> {
                    reply.empty(unique); // nothing to do: FSYNC is what reaches the backend
                    observer.served(FuseOp.FLUSH, 0, System.nanoTime() - start);
                }
                case FSYNC -> {
                    fsync(unique);
                    observer.served(FuseOp.FSYNC, 0, System.nanoTime() - start);
                }
                case FALLOCATE -> observer.served(FuseOp.FALLOCATE, fallocate(unique), System.nanoTime() - start);
                case LOOKUP -> namespace.lookup(unique);
                case GETATTR -> namespace.getattr(unique, request.nodeId());
                case SETATTR -> namespace.setattr(unique);
                case OPEN -> namespace.open(unique);
                case RELEASE, RELEASEDIR, FSYNCDIR, ACCESS -> reply.empty(unique);
                case LSEEK -> namespace.lseek(unique);
                case STATFS -> namespace.statfs(unique);
                case OPENDIR -> namespace.opendir(unique);
                case READDIR -> namespace.readdir(unique);
                case FORGET, BATCH_FORGET, INTERRUPT -> {
                    // no reply: inodes are never reused, so lookup counts need no tracking; an interrupted
                    // request is simply answered when its backend call returns
                }
                case INIT -> FuseInit.answer(session, config, request, reply);
                case DESTROY -> reply.empty(unique);
                default -> reply.error(unique, Libc.ENOSYS);
            }
        } catch (IOException | RuntimeException e) {
            FuseOp op = dataOp(opcode);
            reply.error(unique, op != null ? FuseErrno.of(e) : Libc.EIO);
            if (op != null) {
                // a full pool fails every write: the volume's backend logs each change of its condition once
                // (ConditionBackend), so one line per request here would flood the log
                LOG.debug("FUSE {} on inode {} failed: {}", op, request.nodeId(), e.toString());
                observer.failed(op);
            } else {
                LOG.warn("FUSE request {} (opcode {}) on inode {} failed", unique, opcode, request.nodeId(), e);
            }
        }
    }

    /** Reports a request answered synchronously; {@code bytes < 0}: its file I/O is on the ring. */
    private void served(FuseOp op, long bytes, long start) {
        if (bytes >= 0) {
            observer.served(op, bytes, System.nanoTime() - start);
        }
    }

    /** The data-path operation of an opcode, or null for control traffic. */
    private static FuseOp dataOp(int opcode) {
        return switch (opcode) {
            case READ -> FuseOp.READ;
            case WRITE -> FuseOp.WRITE;
            case FLUSH -> FuseOp.FLUSH;
            case FSYNC -> FuseOp.FSYNC;
            case FALLOCATE -> FuseOp.FALLOCATE;
            default -> null;
        };
    }

    /** Returns the bytes read, or -1 if the read was handed to the ring. */
    private int read(long unique, long start) throws IOException {
        Image image = namespace.imageOrStale(unique);
        if (image == null) {
            return 0;
        }
        long offset = request.bodyLong(FuseRequest.READ_IN_OFFSET);
        int size = request.bodyInt(FuseRequest.READ_IN_SIZE);
        long deviceSize = image.backend().size();
        int length = offset >= deviceSize ? 0 : (int) Math.min(Math.min(size, config.maxWrite()), deviceSize - offset);
        if (length > 0 && fileIo != null && image.backend() instanceof BackingFile file) {
            startFileIo(FuseOp.READ, file.descriptor(), unique, offset, length, start);
            return -1;
        }
        payload.clear().limit(length);
        int n = Math.max(0, length == 0 ? 0 : image.backend().read(offset, payload));
        reply.data(unique, n);
        return n;
    }

    /** Returns the bytes written, or -1 if the write was handed to the ring. */
    private int write(long unique, long start) throws IOException {
        Image image = namespace.imageOrStale(unique);
        if (image == null) {
            return 0;
        }
        long offset = request.bodyLong(FuseRequest.READ_IN_OFFSET);
        int size = request.bodyInt(FuseRequest.READ_IN_SIZE);
        if (offset < 0 || offset + size > image.backend().size()) {
            reply.error(unique, Libc.EFBIG); // an image never grows by writing past its end
            return 0;
        }
        if (size > 0 && fileIo != null && image.backend() instanceof BackingFile file) {
            startFileIo(FuseOp.WRITE, file.descriptor(), unique, offset, size, start);
            return -1;
        }
        payload.clear().limit(size);
        image.backend().write(offset, payload);
        reply.writeOut(size);
        reply.ok(unique, FuseReply.WRITE_OUT_SIZE);
        return size;
    }

    private void startFileIo(FuseOp op, int fd, long unique, long offset, int length, long start) {
        pendingOp = op;
        pendingFd = fd;
        pendingUnique = unique;
        pendingOffset = offset;
        pendingLength = length;
        pendingDone = 0;
        pendingStart = start;
        fileIo.submit(op == FuseOp.WRITE, fd, offset, 0, length);
    }

    /**
     * The ring's answer to the file I/O {@link #handle} started: {@code result} bytes moved, or -errno. Continues a
     * short transfer, else replies and reports the request.
     */
    void fileIoDone(int result) {
        FuseOp op = pendingOp;
        if (result < 0 || (result == 0 && op == FuseOp.WRITE)) {
            LOG.debug(
                    "FUSE {} of {} bytes at {} failed: {}",
                    op,
                    pendingLength,
                    pendingOffset,
                    result < 0 ? Libc.strerror(-result) : "nothing written");
            reply.error(pendingUnique, result < 0 ? FuseErrno.ofResult(result) : Libc.EIO);
            observer.failed(op);
            return;
        }
        pendingDone += result;
        if (result > 0 && pendingDone < pendingLength) {
            fileIo.submit(
                    op == FuseOp.WRITE,
                    pendingFd,
                    pendingOffset + pendingDone,
                    pendingDone,
                    pendingLength - pendingDone);
            return;
        }
        if (op == FuseOp.READ) {
            reply.data(pendingUnique, pendingDone);
        } else {
            reply.writeOut(pendingDone);
            reply.ok(pendingUnique, FuseReply.WRITE_OUT_SIZE);
        }
        observer.served(op, pendingDone, System.nanoTime() - pendingStart);
    }

    private void fsync(long unique) throws IOException {
        Image image = namespace.imageOrStale(unique);
        if (image == null) {
            return;
        }
        image.backend().flush();
        reply.empty(unique);
    }

    /**
     * Discards reach the backend here: the loop driver turns DISCARD into PUNCH_HOLE and WRITE_ZEROES into ZERO_RANGE.
     * Returns the bytes discarded.
     */
    private long fallocate(long unique) throws IOException {
        Image image = namespace.imageOrStale(unique);
        if (image == null) {
            return 0;
        }
        BlockBackend backend = image.backend();
        long offset = request.bodyLong(FuseRequest.FALLOCATE_IN_OFFSET);
        long length = request.bodyLong(FuseRequest.FALLOCATE_IN_LENGTH);
        int mode = request.bodyInt(FuseRequest.FALLOCATE_IN_MODE);
        long size = backend.size();
        if ((mode & (Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_ZERO_RANGE)) != 0) {
            long end = Math.min(size, offset + length);
            if (offset < end) {
                backend.discard(offset, end - offset);
            }
            reply.empty(unique);
            return Math.max(0, end - offset);
        } else if ((mode & ~Libc.FALLOC_FL_KEEP_SIZE) == 0 && offset + length <= size) {
            reply.empty(unique); // preallocation inside the image: thin volumes allocate on write
        } else {
            reply.error(unique, Libc.EOPNOTSUPP);
        }
        return 0;
    }
}
