package dev.vdisk.node.fuse;

import static dev.vdisk.node.fuse.FuseProtocol.*;

import dev.vdisk.csi.server.RefusalWarnings;
import dev.vdisk.node.backend.BackingFile;
import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.fuse.ImageDirectory.Image;
import dev.vdisk.node.sys.Libc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where FUSE opcodes are answered, whatever brought the request (a /dev/fuse worker or an
 * io_uring entry): decodes it through its slot's {@link FuseRequest}, answers against the {@link ImageDirectory}
 * and the backends, encodes the answer with the slot's {@link FuseReply} and reports data-path requests to the
 * {@link FuseRequestObserver}. A request from any uid but root is refused before it is looked at
 * ({@code refuse}), whichever transport brought it.
 *
 * <p>One dispatcher per slot, confined to the thread serving that slot; it holds the slot's views and, with a
 * ring, the state of the one file I/O the slot may have in flight. With a {@link FileIo} (io_uring transport),
 * READ and WRITE on a {@link BackingFile} backend are not called synchronously: the dispatcher asks the ring to
 * move the bytes between the file and the slot's payload buffer and answers in {@link #fileIoDone}.
 */
final class FuseDispatcher {
    static final Logger LOG = LoggerFactory.getLogger(FuseDispatcher.class);
    /** Refusals of non-root callers, across every mount and worker: a looping caller cannot flood the log. */
    private static final RefusalWarnings REFUSALS = new RefusalWarnings(Duration.ofSeconds(10), System.nanoTime());

    private static final int WANTED_INIT_FLAGS =
            FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_ASYNC_DIO | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES;
    private static final int EACCES = 13, EISDIR = 21, ENOTDIR = 20, ESTALE = 116, EPROTO = 71;

    /** Moves bytes between a file and the slot's payload buffer asynchronously; calls back {@link #fileIoDone}. */
    interface FileIo {
        /** @param payloadOffset where in the payload buffer the transfer starts */
        void submit(boolean write, int fd, long fileOffset, long payloadOffset, int length);
    }

    private final FuseSession session;
    private final ImageDirectory directory;
    private final FuseConfig config;
    private final FuseRequestObserver observer;
    private final FuseRequest request;
    private final FuseReply reply;
    /** The slot's payload area as a reusable direct buffer for synchronous backends. */
    private final ByteBuffer payload;

    private final FileIo fileIo;
    private final long time;

    // the slot's file I/O in flight (ring only)
    private FuseOp pendingOp;
    private int pendingFd;
    private long pendingUnique;
    private long pendingOffset;
    private int pendingLength;
    private int pendingDone;
    private long pendingStart;

    /** @param fileIo null: every backend call is synchronous (the /dev/fuse transport) */
    FuseDispatcher(
            FuseSession session,
            ImageDirectory directory,
            FuseConfig config,
            long time,
            FuseRequest request,
            FuseReply reply,
            ByteBuffer payload,
            FileIo fileIo) {
        this.session = session;
        this.directory = directory;
        this.config = config;
        this.observer = config.observer();
        this.time = time;
        this.request = request;
        this.reply = reply;
        this.payload = payload;
        this.fileIo = fileIo;
    }

    /** Answers the request now in the slot, or starts its file I/O on the ring (answered by {@link #fileIoDone}). */
    void handle() {
        long unique = request.unique();
        int opcode = request.opcode();
        long start = System.nanoTime();
        if (unique < 0) {
            session.resent(); // bit 63: sent again after FUSE_NOTIFY_RESEND; the reply echoes it as read
        }
        if (request.uid() != 0 && !releasesOnly(opcode)) {
            refuse(unique, opcode);
            return;
        }
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
                case LOOKUP -> lookup(unique);
                case GETATTR -> getattr(unique, request.nodeId());
                case SETATTR -> setattr(unique);
                case OPEN -> open(unique);
                case RELEASE, RELEASEDIR, FSYNCDIR, ACCESS -> reply.empty(unique);
                case LSEEK -> lseek(unique);
                case STATFS -> statfs(unique);
                case OPENDIR -> opendir(unique);
                case READDIR -> readdir(unique);
                case FORGET, BATCH_FORGET, INTERRUPT -> {
                    // no reply: inodes are never reused, so lookup counts need no tracking; an interrupted
                    // request is simply answered when its backend call returns
                }
                case INIT -> init(unique);
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

    /**
     * Requests the kernel sends for anyone, which grant nothing: dropping lookups, interrupting, closing a file
     * someone already holds open, and the connection's own start and end.
     */
    private static boolean releasesOnly(int opcode) {
        return switch (opcode) {
            case FORGET, BATCH_FORGET, INTERRUPT, FLUSH, RELEASE, RELEASEDIR, INIT, DESTROY -> true;
            default -> false;
        };
    }

    /**
     * Only root may use an image (the loop driver opens it as root): everyone else is refused here as well as by
     * the kernel ({@code default_permissions}, modes 0600 and 0700), so that neither check alone guards the
     * volumes' data. EPERM for an attribute change, as chmod(2) gives a non-owner; EACCES for the rest.
     */
    private void refuse(long unique, int opcode) {
        long held = REFUSALS.warnNow(System.nanoTime());
        if (held >= 0) {
            LOG.warn(
                    "FUSE refused opcode {} on inode {} from uid {} (pid {}): only root may use volume images{}",
                    opcode,
                    request.nodeId(),
                    Integer.toUnsignedLong(request.uid()),
                    request.pid(),
                    REFUSALS.held(held));
        } else {
            LOG.debug(
                    "FUSE refused opcode {} on inode {} from uid {} (pid {})",
                    opcode,
                    request.nodeId(),
                    Integer.toUnsignedLong(request.uid()),
                    request.pid());
        }
        reply.error(unique, opcode == SETATTR ? Libc.EPERM : EACCES);
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
        Image image = imageOrStale(unique);
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
        Image image = imageOrStale(unique);
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

    /** The image the request is about, or null after answering ESTALE (its inode is no longer served). */
    private Image imageOrStale(long unique) {
        Image image = directory.byInode(request.nodeId());
        if (image == null) {
            reply.error(unique, ESTALE);
        }
        return image;
    }

    private void lookup(long unique) {
        if (request.nodeId() != ROOT_ID) {
            reply.error(unique, ENOTDIR);
            return;
        }
        Image image = directory.byName(request.name());
        if (image == null) {
            reply.error(unique, Libc.ENOENT); // an error reply caches no negative entry
            return;
        }
        reply.entryOutHeader(image.inode());
        imageAttr(40, image);
        reply.ok(unique, FuseReply.ENTRY_OUT_SIZE);
    }

    private void getattr(long unique, long nodeId) {
        reply.attrOutHeader();
        if (nodeId == ROOT_ID) {
            reply.attr(16, ROOT_ID, 4096, S_IFDIR | 0700, 2, time);
        } else {
            Image image = directory.byInode(nodeId);
            if (image == null) {
                reply.error(unique, ESTALE);
                return;
            }
            imageAttr(16, image);
        }
        reply.ok(unique, FuseReply.ATTR_OUT_SIZE);
    }

    private void imageAttr(long at, Image image) {
        reply.attr(at, image.inode(), image.backend().size(), S_IFREG | 0600, 1, time);
    }

    /** Size changes are refused (the image's size is the volume's: resize goes through the engine); times, modes are ignored. */
    private void setattr(long unique) {
        long nodeId = request.nodeId();
        int valid = request.bodyInt(FuseRequest.SETATTR_IN_VALID);
        if ((valid & FATTR_SIZE) != 0) {
            Image image = directory.byInode(nodeId);
            if (image == null
                    || request.bodyLong(FuseRequest.SETATTR_IN_SIZE)
                            != image.backend().size()) {
                reply.error(unique, Libc.EPERM);
                return;
            }
        }
        getattr(unique, nodeId);
    }

    private void open(long unique) {
        if (request.nodeId() == ROOT_ID) {
            reply.error(unique, EISDIR);
            return;
        }
        Image image = imageOrStale(unique);
        if (image == null) {
            return;
        }
        // DIRECT_IO: no FUSE page cache, so the loop device's O_DIRECT requests arrive as issued, and the kernel
        // sends them asynchronously (FUSE_ASYNC_DIO); PARALLEL_DIRECT_WRITES: no exclusive inode lock per write
        reply.openOut(image.inode(), FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES);
        reply.ok(unique, FuseReply.OPEN_OUT_SIZE);
    }

    private void fsync(long unique) throws IOException {
        Image image = imageOrStale(unique);
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
        Image image = imageOrStale(unique);
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

    private void lseek(long unique) {
        Image image = imageOrStale(unique);
        if (image == null) {
            return;
        }
        long offset = request.bodyLong(FuseRequest.LSEEK_IN_OFFSET);
        int whence = request.bodyInt(FuseRequest.LSEEK_IN_WHENCE);
        long size = image.backend().size();
        if ((whence != SEEK_DATA && whence != SEEK_HOLE) || offset < 0) {
            reply.error(unique, Libc.EINVAL);
        } else if (offset >= size) {
            reply.error(unique, Libc.ENXIO);
        } else {
            // the whole image counts as data: holes are the engine's business, not the filesystem's
            reply.lseekOut(whence == SEEK_DATA ? offset : size);
            reply.ok(unique, FuseReply.LSEEK_OUT_SIZE);
        }
    }

    private void statfs(long unique) {
        List<Image> images = directory.list();
        long blocks = 0;
        for (Image image : images) {
            blocks += image.backend().size() / 4096;
        }
        reply.statfsOut(blocks, 0, images.size() + 1);
        reply.ok(unique, FuseReply.STATFS_OUT_SIZE);
    }

    private void opendir(long unique) {
        if (request.nodeId() != ROOT_ID) {
            reply.error(unique, ENOTDIR);
            return;
        }
        reply.openOut(0, 0);
        reply.ok(unique, FuseReply.OPEN_OUT_SIZE);
    }

    private void readdir(long unique) {
        long offset = request.bodyLong(FuseRequest.READ_IN_OFFSET);
        int limit = request.bodyInt(FuseRequest.READ_IN_SIZE);
        List<Image> images = directory.list();
        int at = 0;
        for (long index = offset; index < images.size() + 2; index++) {
            int next;
            if (index < 2) {
                next = reply.dirent(at, limit, ROOT_ID, index + 1, DT_DIR, index == 0 ? "." : "..");
            } else {
                Image image = images.get((int) index - 2);
                next = reply.dirent(at, limit, image.inode(), index + 1, DT_REG, image.name());
            }
            if (next < 0) {
                break;
            }
            at = next;
        }
        reply.ok(unique, at);
    }

    private void init(long unique) {
        int major = request.bodyInt(FuseRequest.INIT_IN_MAJOR);
        int minor = request.bodyInt(FuseRequest.INIT_IN_MINOR);
        if (major != KERNEL_VERSION) {
            LOG.error("kernel speaks FUSE {}.{}, we speak {}.{}", major, minor, KERNEL_VERSION, KERNEL_MINOR_VERSION);
            reply.error(unique, EPROTO);
            session.initialized(false, false, 0, 0);
            return;
        }
        int offered = request.bodyInt(FuseRequest.INIT_IN_FLAGS);
        int offered2 = (offered & FUSE_INIT_EXT) != 0 ? request.bodyInt(FuseRequest.INIT_IN_FLAGS2) : 0;
        int flags = offered & WANTED_INIT_FLAGS;
        int flags2 = 0;
        // the kernel offers io_uring only while enable_uring is Y; advertising it makes the kernel hold every
        // new request until each queue has an entry registered (FuseSession does that right after this reply)
        boolean uring = session.wantsUring() && (offered2 & FUSE_OVER_IO_URING_FLAGS2) != 0;
        if (uring) {
            flags |= FUSE_INIT_EXT;
            flags2 |= FUSE_OVER_IO_URING_FLAGS2;
        }
        int maxBackground = config.maxBackground();
        reply.initOut(
                Math.min(minor, KERNEL_MINOR_VERSION),
                request.bodyInt(FuseRequest.INIT_IN_MAX_READAHEAD),
                flags,
                maxBackground,
                Math.max(1, maxBackground * 3 / 4),
                config.maxWrite(),
                config.maxWrite() / 4096,
                flags2);
        reply.ok(unique, FuseReply.INIT_OUT_SIZE);
        LOG.info(
                "FUSE {}.{} initialised: flags offered {}/{} accepted {}/{}, max_write {}, max_background {}",
                major,
                minor,
                Integer.toHexString(offered),
                Integer.toHexString(offered2),
                Integer.toHexString(flags),
                Integer.toHexString(flags2),
                config.maxWrite(),
                maxBackground);
        session.initialized(true, uring, flags, flags2);
    }
}
