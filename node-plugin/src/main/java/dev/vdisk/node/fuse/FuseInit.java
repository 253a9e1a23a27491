package dev.vdisk.node.fuse;

import static dev.vdisk.node.fuse.FuseProtocol.FUSE_ASYNC_DIO;
import static dev.vdisk.node.fuse.FuseProtocol.FUSE_ASYNC_READ;
import static dev.vdisk.node.fuse.FuseProtocol.FUSE_BIG_WRITES;
import static dev.vdisk.node.fuse.FuseProtocol.FUSE_INIT_EXT;
import static dev.vdisk.node.fuse.FuseProtocol.FUSE_MAX_PAGES;
import static dev.vdisk.node.fuse.FuseProtocol.FUSE_OVER_IO_URING_FLAGS2;
import static dev.vdisk.node.fuse.FuseProtocol.FUSE_PARALLEL_DIROPS;
import static dev.vdisk.node.fuse.FuseProtocol.KERNEL_MINOR_VERSION;
import static dev.vdisk.node.fuse.FuseProtocol.KERNEL_VERSION;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers INIT: the protocol version and the features the session wants, and tells the session the outcome. */
final class FuseInit {
    private static final Logger LOG = LoggerFactory.getLogger(FuseInit.class);
    private static final int WANTED_INIT_FLAGS =
            FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_ASYNC_DIO | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES;
    private static final int EPROTO = 71;

    private FuseInit() {}

    static void answer(FuseSession session, FuseConfig config, FuseRequest request, FuseReply reply) {
        long unique = request.unique();
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
