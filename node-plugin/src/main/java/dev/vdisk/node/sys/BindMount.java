package dev.vdisk.node.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Bind mounts through the new mount API (Linux 5.12+): open_tree(2) clones the source's mount detached from every
 * tree, mount_setattr(2) makes the clone read-only while nobody can see it yet, and move_mount(2) attaches it onto
 * the target descriptor. So a read-only request never shows a writable mount, and the mount lands on the file the
 * descriptor names rather than on a path looked up again. A clone that is never attached vanishes with its
 * descriptor.
 */
public final class BindMount {
    // the same numbers on x86_64 and aarch64
    private static final long SYS_OPEN_TREE = 428, SYS_MOVE_MOUNT = 429, SYS_MOUNT_SETATTR = 442;
    private static final long OPEN_TREE_CLONE = 1;
    private static final long MOVE_MOUNT_F_EMPTY_PATH = 0x04, MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    private static final long MOUNT_ATTR_RDONLY = 1;
    private static final long MOUNT_ATTR_SIZE = 32; // struct mount_attr { u64 set, clr, propagation, userns_fd; }

    private BindMount() {}

    /** Bind-mounts {@code source} (not its submounts, as {@code mount --bind}) onto {@code target}. */
    public static void attach(PathFd source, PathFd target, boolean readOnly) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            long empty = arena.allocateFrom("").address();
            long tree = Libc.syscall(
                    SYS_OPEN_TREE, source.fd(), empty, OPEN_TREE_CLONE | Libc.O_CLOEXEC | Libc.AT_EMPTY_PATH, 0, 0, 0);
            if (tree < 0) {
                throw new ErrnoException("open_tree", Libc.errno());
            }
            try {
                if (readOnly) {
                    MemorySegment attr = arena.allocate(MOUNT_ATTR_SIZE, 8);
                    attr.set(JAVA_LONG, 0, MOUNT_ATTR_RDONLY);
                    if (Libc.syscall(
                                    SYS_MOUNT_SETATTR,
                                    tree,
                                    empty,
                                    Libc.AT_EMPTY_PATH,
                                    attr.address(),
                                    MOUNT_ATTR_SIZE,
                                    0)
                            < 0) {
                        throw new ErrnoException("mount_setattr(read-only)", Libc.errno());
                    }
                }
                if (Libc.syscall(
                                SYS_MOVE_MOUNT,
                                tree,
                                empty,
                                target.fd(),
                                empty,
                                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH,
                                0)
                        < 0) {
                    throw new ErrnoException("move_mount", Libc.errno());
                }
            } finally {
                Libc.close((int) tree);
            }
        }
    }
}
