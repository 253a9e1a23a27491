package dev.vdisk.node.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/** Reads /proc/self/mountinfo: which paths are mount points, and with which filesystem type. */
public final class MountTable {
    /**
     * One line of mountinfo: mount point (unescaped), filesystem type, source, and the root of the mount within its
     * filesystem (for a bind mount of a device node: {@code /loop5} with fsType devtmpfs).
     */
    public record Mount(Path mountPoint, String fsType, String source, String root) {}

    private MountTable() {}

    public static List<Mount> mounts() {
        try {
            List<Mount> result = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
                String[] fields = line.split(" ");
                int dash = line.indexOf(" - ");
                String[] tail = line.substring(dash + 3).split(" ");
                result.add(new Mount(
                        Path.of(unescape(fields[4])),
                        tail[0],
                        tail.length > 1 ? unescape(tail[1]) : "",
                        unescape(fields[3])));
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static boolean isMountPoint(Path path) {
        Path p = path.toAbsolutePath().normalize();
        return mounts().stream().anyMatch(m -> m.mountPoint().equals(p));
    }

    /**
     * The minor device number of the topmost mount of type {@code fsType} at {@code path}, read from mountinfo
     * without touching the mount (a stat of a FUSE mount would wait for its server); empty if there is none.
     */
    public static OptionalLong minorOf(Path path, String fsType) {
        Path p = path.toAbsolutePath().normalize();
        OptionalLong result = OptionalLong.empty();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                String[] tail = line.substring(line.indexOf(" - ") + 3).split(" ");
                if (Path.of(unescape(fields[4])).equals(p)) {
                    // a mount of another type on top hides ours: empty
                    result = tail[0].equals(fsType)
                            ? OptionalLong.of(Long.parseLong(fields[2].substring(fields[2].indexOf(':') + 1)))
                            : OptionalLong.empty();
                }
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
