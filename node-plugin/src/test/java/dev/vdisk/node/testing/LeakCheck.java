package dev.vdisk.node.testing;

import dev.vdisk.node.loop.LoopDevice;
import dev.vdisk.node.sys.MountTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Asserts that nothing is left mounted under a directory and no loop device is backed by a file under it. */
public final class LeakCheck {
    private LeakCheck() {}

    public static void assertNothingLeftUnder(Path root) throws IOException {
        Path r = root.toAbsolutePath().normalize();
        List<MountTable.Mount> mounts = MountTable.mounts().stream()
                .filter(m -> m.mountPoint().startsWith(r))
                .toList();
        List<LoopDevice.Attached> loops = LoopDevice.attached().stream()
                .filter(l -> l.backingFile().toString().startsWith(r.toString()))
                .toList();
        if (!mounts.isEmpty() || !loops.isEmpty()) {
            throw new AssertionError("leaked under " + r + ": mounts " + mounts + ", loop devices " + loops);
        }
    }

    /** Unmounts every mount under {@code root}, deepest first (cleanup after a failed test). */
    public static void unmountAllUnder(Path root) {
        Path r = root.toAbsolutePath().normalize();
        MountTable.mounts().stream()
                .map(MountTable.Mount::mountPoint)
                .filter(m -> m.startsWith(r))
                .sorted((a, b) -> b.getNameCount() - a.getNameCount())
                .forEach(m -> Command.tryRun(60, "umount", m.toString()));
    }
}
