package dev.vdisk.node.fuse;

import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.fuse.ImageDirectory.Image;
import dev.vdisk.node.sys.Libc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;

import static dev.vdisk.node.fuse.FuseProtocol.*;

/**
 * One FUSE worker thread: blocks in read(2) on its descriptor, answers the request, writes the reply, repeats
 * until the connection ends (ENODEV after unmount or abort).
 *
 * <p>Buffers: one page-aligned native buffer per worker, allocated once. The kernel writes the request at
 * {@link #REQUEST_START} = 4096 - 80, so that a WRITE's payload (after the 40-byte header and the 40-byte
 * fuse_write_in) starts exactly at {@link #PAYLOAD} = 4096, page-aligned. A READ's data is read by the
 * backend to the same place, and its reply header is written into the 16 bytes before it. The backend sees
 * one preallocated direct ByteBuffer over the payload area (reset per request, never reallocated), so a
 * request costs no Java allocation and no copy beyond the kernel's.
 *
 * <p>Threading: the worker's buffers, request view and reply encoder are confined to its thread; shared
 * state is the {@link ImageDirectory} (lock-free reads), the backends (concurrent by contract) and the
 * {@link FuseRequestObserver} (thread-safe and allocation-free by contract), told about each data-path request.
 */
final class FuseWorker implements Runnable {
    static final Logger LOG = LoggerFactory.getLogger(FuseWorker.class);
    static final long PAYLOAD = 4096;
    static final long REQUEST_START = PAYLOAD - FuseRequest.HEADER_SIZE - FuseRequest.WRITE_IN_SIZE_OF;
    private static final int SMALL_REPLY_SIZE = 8192;
    private static final int WANTED_INIT_FLAGS =
            FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_ASYNC_DIO | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES;
    private static final int EISDIR = 21, ENOTDIR = 20, ESTALE = 116, EPROTO = 71;

    private final int fd;
    private final FuseSession session;
    private final ImageDirectory directory;
    private final FuseConfig config;
    private final FuseRequestObserver observer;
    private final MemorySegment requestArea;
    private final long requestAreaSize;
    private final FuseRequest request;
    private final FuseReply reply;
    private final ByteBuffer payload;
    private final long time;

    FuseWorker(int fd, FuseSession session, ImageDirectory directory, FuseConfig config, Arena arena, long time) {
        this.fd = fd;
        this.session = session;
        this.directory = directory;
        this.config = config;
        this.observer = config.observer();
        this.time = time;
        // PAYLOAD bytes of headroom, the payload, and a page of slack for requests longer than their header
        MemorySegment buffer = arena.allocate(PAYLOAD + config.maxWrite() + 4096, 4096);
        this.requestArea = buffer.asSlice(REQUEST_START);
        this.requestAreaSize = requestArea.byteSize();
        this.request = new FuseRequest(buffer, REQUEST_START);
        this.reply = new FuseReply(fd, arena.allocate(SMALL_REPLY_SIZE, 4096), buffer, PAYLOAD);
        this.payload = buffer.asSlice(PAYLOAD, config.maxWrite()).asByteBuffer();
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
            handle();
        }
    }

    private void handle() {
        long unique = request.unique();
        int opcode = request.opcode();
        long start = System.nanoTime();
        try {
            switch (opcode) {
                case READ -> observer.served(FuseOp.READ, read(unique), System.nanoTime() - start);
                case WRITE -> observer.served(FuseOp.WRITE, write(unique), System.nanoTime() - start);
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
            LOG.warn("FUSE request {} (opcode {}) on inode {} failed", unique, opcode, request.nodeId(), e);
            reply.error(unique, Libc.EIO);
            FuseOp op = dataOp(opcode);
            if (op != null) {
                observer.failed(op);
            }
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

    /** Returns the bytes read. */
    private int read(long unique) throws IOException {
        Image image = directory.byInode(request.nodeId());
        if (image == null) {
            reply.error(unique, ESTALE);
            return 0;
        }
        long offset = request.bodyLong(FuseRequest.READ_IN_OFFSET);
        int size = request.bodyInt(FuseRequest.READ_IN_SIZE);
        long deviceSize = image.backend().size();
        int length = offset >= deviceSize ? 0 : (int) Math.min(Math.min(size, config.maxWrite()), deviceSize - offset);
        payload.clear().limit(length);
        int n = Math.max(0, length == 0 ? 0 : image.backend().read(offset, payload));
        reply.data(unique, n);
        return n;
    }

    /** Returns the bytes written. */
    private int write(long unique) throws IOException {
        Image image = directory.byInode(request.nodeId());
        if (image == null) {
            reply.error(unique, ESTALE);
            return 0;
        }
        long offset = request.bodyLong(FuseRequest.READ_IN_OFFSET);
        int size = request.bodyInt(FuseRequest.READ_IN_SIZE);
        if (offset < 0 || offset + size > image.backend().size()) {
            reply.error(unique, Libc.EFBIG); // an image never grows by writing past its end
            return 0;
        }
        payload.clear().limit(size);
        image.backend().write(offset, payload);
        reply.writeOut(size);
        reply.ok(unique, FuseReply.WRITE_OUT_SIZE);
        return size;
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
            reply.attr(16, ROOT_ID, 4096, S_IFDIR | 0755, 2, time);
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
            if (image == null || request.bodyLong(FuseRequest.SETATTR_IN_SIZE) != image.backend().size()) {
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
        Image image = directory.byInode(request.nodeId());
        if (image == null) {
            reply.error(unique, ESTALE);
            return;
        }
        // DIRECT_IO: no FUSE page cache, so the loop device's O_DIRECT requests arrive as issued, and the kernel
        // sends them asynchronously (FUSE_ASYNC_DIO); PARALLEL_DIRECT_WRITES: no exclusive inode lock per write
        reply.openOut(image.inode(), FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES);
        reply.ok(unique, FuseReply.OPEN_OUT_SIZE);
    }

    private void fsync(long unique) throws IOException {
        Image image = directory.byInode(request.nodeId());
        if (image == null) {
            reply.error(unique, ESTALE);
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
        Image image = directory.byInode(request.nodeId());
        if (image == null) {
            reply.error(unique, ESTALE);
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
        Image image = directory.byInode(request.nodeId());
        if (image == null) {
            reply.error(unique, ESTALE);
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
            session.initialized(false);
            return;
        }
        int offered = request.bodyInt(FuseRequest.INIT_IN_FLAGS);
        int flags = offered & WANTED_INIT_FLAGS;
        int maxBackground = config.maxBackground();
        reply.initOut(Math.min(minor, KERNEL_MINOR_VERSION), request.bodyInt(FuseRequest.INIT_IN_MAX_READAHEAD), flags,
                maxBackground, Math.max(1, maxBackground * 3 / 4), config.maxWrite(), config.maxWrite() / 4096);
        reply.ok(unique, FuseReply.INIT_OUT_SIZE);
        LOG.info("FUSE {}.{} initialised: flags offered {} accepted {}, max_write {}, max_background {}", major, minor,
                Integer.toHexString(offered), Integer.toHexString(flags), config.maxWrite(), maxBackground);
        session.initialized(true);
    }
}
