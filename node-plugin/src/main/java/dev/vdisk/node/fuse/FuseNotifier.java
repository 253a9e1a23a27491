package dev.vdisk.node.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Writes notifications on a session's main descriptor, one at a time (this object's monitor): the control calls
 * may come from several threads, and a notification must leave in one write(2).
 *
 * <p>Layouts (a reply with unique 0 and the notify code as error):
 * <pre>
 * fuse_notify_inval_inode_out  ino u64 @0 | off i64 @8 | len i64 @16            (24 bytes)
 * fuse_notify_inval_entry_out  parent u64 @0 | namelen u32 @8 | flags u32 @12, then name and NUL
 * </pre>
 */
final class FuseNotifier {
    private final int mainFd;

    FuseNotifier(int mainFd) {
        this.mainFd = mainFd;
    }

    /** Drops the kernel's cached attributes of {@code inode} (no page cache: the images are direct I/O). */
    void invalidateAttributes(long inode) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(16 + 24, 8);
            m.set(JAVA_LONG_UNALIGNED, 16, inode);
            m.set(JAVA_LONG_UNALIGNED, 24, -1L); // off < 0: attributes only, there is no page cache to drop
            m.set(JAVA_LONG_UNALIGNED, 32, 0L);
            notify(m, FuseProtocol.NOTIFY_INVAL_INODE);
        }
    }

    /** Makes the kernel forget the root's entry {@code name}. */
    void invalidateEntry(String name) throws IOException {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(16 + 16 + bytes.length + 1, 8);
            m.set(JAVA_LONG_UNALIGNED, 16, FuseProtocol.ROOT_ID);
            m.set(JAVA_INT_UNALIGNED, 24, bytes.length);
            m.set(JAVA_INT_UNALIGNED, 28, 0);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, m, 32, bytes.length);
            notify(m, FuseProtocol.NOTIFY_INVAL_ENTRY);
        }
    }

    private synchronized void notify(MemorySegment message, int code) throws IOException {
        int length = (int) message.byteSize();
        message.set(JAVA_INT_UNALIGNED, 0, length);
        message.set(JAVA_INT_UNALIGNED, 4, code);
        message.set(JAVA_LONG_UNALIGNED, 8, 0L);
        if (Libc.write(mainFd, message, length) < 0) {
            int errno = Libc.errno();
            if (errno != Libc.ENOENT) { // ENOENT: the kernel had nothing cached
                throw new ErrnoException("FUSE notify " + code, errno);
            }
        }
    }
}
