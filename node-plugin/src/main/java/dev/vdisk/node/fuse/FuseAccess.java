package dev.vdisk.node.fuse;

import static dev.vdisk.node.fuse.FuseProtocol.BATCH_FORGET;
import static dev.vdisk.node.fuse.FuseProtocol.DESTROY;
import static dev.vdisk.node.fuse.FuseProtocol.FLUSH;
import static dev.vdisk.node.fuse.FuseProtocol.FORGET;
import static dev.vdisk.node.fuse.FuseProtocol.INIT;
import static dev.vdisk.node.fuse.FuseProtocol.INTERRUPT;
import static dev.vdisk.node.fuse.FuseProtocol.RELEASE;
import static dev.vdisk.node.fuse.FuseProtocol.RELEASEDIR;
import static dev.vdisk.node.fuse.FuseProtocol.SETATTR;

import dev.vdisk.csi.server.RefusalWarnings;
import dev.vdisk.node.sys.Libc;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Only root may use an image (the loop driver opens it as root): everyone else is refused here as well as by the
 * kernel ({@code default_permissions}, modes 0600 and 0700), so that neither check alone guards the volumes' data.
 * Stateless apart from the log's rate limit, shared by every mount and slot.
 */
final class FuseAccess {
    private static final Logger LOG = LoggerFactory.getLogger(FuseAccess.class);
    /** Refusals of non-root callers, across every mount and worker: a looping caller cannot flood the log. */
    private static final RefusalWarnings REFUSALS = new RefusalWarnings(Duration.ofSeconds(10), System.nanoTime());

    private static final int EACCES = 13;

    private FuseAccess() {}

    /** Whether the request in {@code request} may be answered. */
    static boolean allowed(FuseRequest request) {
        return request.uid() == 0 || releasesOnly(request.opcode());
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

    /** Refuses the request: EPERM for an attribute change, as chmod(2) gives a non-owner; EACCES for the rest. */
    static void refuse(FuseRequest request, FuseReply reply) {
        int opcode = request.opcode();
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
        reply.error(request.unique(), opcode == SETATTR ? Libc.EPERM : EACCES);
    }
}
