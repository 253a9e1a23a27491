package dev.vdisk.node.fuse;

import static dev.vdisk.node.fuse.FuseProtocol.DT_DIR;
import static dev.vdisk.node.fuse.FuseProtocol.DT_REG;
import static dev.vdisk.node.fuse.FuseProtocol.FATTR_SIZE;
import static dev.vdisk.node.fuse.FuseProtocol.FOPEN_DIRECT_IO;
import static dev.vdisk.node.fuse.FuseProtocol.FOPEN_PARALLEL_DIRECT_WRITES;
import static dev.vdisk.node.fuse.FuseProtocol.ROOT_ID;
import static dev.vdisk.node.fuse.FuseProtocol.SEEK_DATA;
import static dev.vdisk.node.fuse.FuseProtocol.SEEK_HOLE;
import static dev.vdisk.node.fuse.FuseProtocol.S_IFDIR;
import static dev.vdisk.node.fuse.FuseProtocol.S_IFREG;

import dev.vdisk.node.fuse.ImageDirectory.Image;
import dev.vdisk.node.sys.Libc;
import java.util.List;

/**
 * Answers the requests about names and attributes (the root directory and its image files) for one request slot:
 * everything but INIT and the data path. The image's size is its backend's; nothing here calls the backend
 * otherwise. Confined to the slot's thread, like the slot's {@link FuseRequest} and {@link FuseReply}.
 */
final class FuseNamespace {
    static final int EISDIR = 21, ENOTDIR = 20, ESTALE = 116;

    private final ImageDirectory directory;
    private final FuseRequest request;
    private final FuseReply reply;
    /** Timestamps of the root and the images. */
    private final long time;

    FuseNamespace(ImageDirectory directory, FuseRequest request, FuseReply reply, long time) {
        this.directory = directory;
        this.request = request;
        this.reply = reply;
        this.time = time;
    }

    /** The image the request is about, or null after answering ESTALE (its inode is no longer served). */
    Image imageOrStale(long unique) {
        Image image = directory.byInode(request.nodeId());
        if (image == null) {
            reply.error(unique, ESTALE);
        }
        return image;
    }

    void lookup(long unique) {
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

    void getattr(long unique, long nodeId) {
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
    void setattr(long unique) {
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

    void open(long unique) {
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

    void lseek(long unique) {
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

    void statfs(long unique) {
        List<Image> images = directory.list();
        long blocks = 0;
        for (Image image : images) {
            blocks += image.backend().size() / 4096;
        }
        reply.statfsOut(blocks, 0, images.size() + 1);
        reply.ok(unique, FuseReply.STATFS_OUT_SIZE);
    }

    void opendir(long unique) {
        if (request.nodeId() != ROOT_ID) {
            reply.error(unique, ENOTDIR);
            return;
        }
        reply.openOut(0, 0);
        reply.ok(unique, FuseReply.OPEN_OUT_SIZE);
    }

    void readdir(long unique) {
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
}
