package dev.vdisk.node.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.MountTable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Taking a {@link FuseSession}'s connection over in a new process ({@link #adopt}), and FUSE_NOTIFY_RESEND, which
 * makes the kernel send again what a dead or stopped predecessor read but did not answer. The steps and what a death
 * at each does: {@code docs/architecture/restarts.md}.
 *
 * <p>Layout: FUSE_NOTIFY_RESEND is a fuse_out_header (len u32 @0 | error = code 7 @4 | unique u64 = 0 @8), no body.
 */
final class FuseHandOver {
    private static final Logger LOG = LoggerFactory.getLogger(FuseHandOver.class);

    /** Writes FUSE_NOTIFY_RESEND on a descriptor; returns 0 or the errno (a seam for the older-kernel test). */
    @FunctionalInterface
    interface ResendWriter {
        int write(int fd);
    }

    private FuseHandOver() {}

    /**
     * Right after INIT: probes FUSE_NOTIFY_RESEND (harmless on a fresh connection: nothing was read but not
     * answered, except a request a worker is answering now, which the kernel then sends again and the worker's
     * first reply is refused with ENOENT), then puts every descriptor into the store.
     */
    static void start(FuseSession session, DescriptorStore holder, ResendWriter resend) throws IOException {
        int errno = resend.write(session.mainFd());
        if (errno != 0) {
            LOG.warn(
                    "kernel {} cannot resend FUSE requests (6.9+); volumes will not survive a restart of the node "
                            + "plugin (FUSE_NOTIFY_RESEND: {})",
                    kernelRelease(),
                    Libc.strerror(errno));
            return;
        }
        holder.put(
                FuseSession.FUSE_ENTRY, session.descriptors(), session.record().encode());
        session.heldBy(holder);
        LOG.info(
                "FUSE connection {} at {} is kept by the descriptor holder ({} descriptors)",
                session.connection(),
                session.mountPoint(),
                session.descriptors().length);
    }

    /** See {@link FuseSession#adopt(FuseConfig, DescriptorStore, DescriptorStore.Entry, Map)}. */
    static FuseSession adopt(
            FuseConfig config,
            DescriptorStore store,
            DescriptorStore.Entry entry,
            Map<String, BlockBackend> backends,
            ResendWriter resend)
            throws IOException {
        int[] fds = entry.fds();
        FuseSessionRecord record;
        try {
            if (fds.length == 0) {
                throw new IOException("the fuse entry holds no descriptors");
            }
            record = FuseSessionRecord.decode(entry.record());
            // from mountinfo: a stat of the mount point would wait for a server that is not serving yet
            OptionalLong minor = MountTable.minorOf(record.mountPoint(), "fuse.vdisk");
            if (minor.isEmpty() || minor.getAsLong() != record.connection()) {
                throw new IOException(
                        record.mountPoint() + " is no longer FUSE connection " + record.connection() + " (mounted: "
                                + (minor.isPresent() ? "connection " + minor.getAsLong() : "nothing of ours") + ")");
            }
        } catch (IOException | RuntimeException e) {
            for (int fd : fds) {
                Libc.close(fd);
            }
            throw e;
        }
        FuseConfig adopted = config.withTransport(FuseTransport.DEV).withMaxWriteOf(record.maxWrite());
        FuseSession session = FuseSession.adopted(record, fds);
        try {
            for (var image : record.images().entrySet()) {
                BlockBackend backend = backends.get(image.getKey());
                if (backend != null) {
                    session.directory().restore(image.getKey(), image.getValue(), backend);
                } else {
                    LOG.info(
                            "image {} (inode {}) on FUSE connection {} has no volume any more: it answers ESTALE",
                            image.getKey(),
                            image.getValue(),
                            record.connection());
                }
            }
            session.directory().skipTo(record.nextInode());
            session.keepIn(store);
            int errno = resend.write(fds[0]);
            if (errno != 0) {
                throw new ErrnoException("FUSE_NOTIFY_RESEND on adopted connection " + record.connection(), errno);
            }
            session.startWorkers(adopted, fds);
        } catch (IOException | RuntimeException e) {
            session.keepIn(null); // the entry stays for another try; this process lets go of its copies only
            session.closeDescriptors();
            throw e;
        }
        LOG.info(
                "took over FUSE connection {} at {}: {} images, {} workers, unanswered requests sent again",
                record.connection(),
                record.mountPoint(),
                session.directory().list().size(),
                fds.length);
        return session;
    }

    /** Writes a FUSE_NOTIFY_RESEND notification (code 7, header only); returns 0 or the errno. */
    static int writeResend(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(16, 8);
            m.set(JAVA_INT_UNALIGNED, 0, 16);
            m.set(JAVA_INT_UNALIGNED, 4, FuseProtocol.NOTIFY_RESEND);
            m.set(JAVA_LONG_UNALIGNED, 8, 0L);
            return Libc.write(fd, m, 16) < 0 ? Libc.errno() : 0;
        }
    }

    static String kernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return "(unknown release)";
        }
    }
}
