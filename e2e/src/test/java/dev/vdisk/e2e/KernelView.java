package dev.vdisk.e2e;

import dev.vdisk.node.sys.MountTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the kernel has under a test directory, read the way an operator would check for leaks: mount points from
 * /proc/self/mountinfo and loop devices from /sys/block/loop{@literal *}/loop/backing_file. Plus the cleanup every
 * e2e test runs at the end even when it failed.
 */
public final class KernelView {

    /** Mount points and loop devices under one directory. */
    public record Snapshot(List<String> mounts, List<String> loops) {
        public boolean isEmpty() {
            return mounts.isEmpty() && loops.isEmpty();
        }
    }

    private KernelView() {}

    public static Snapshot under(Path dir) {
        String root = dir.toAbsolutePath().normalize().toString();
        return new Snapshot(mountsUnder(root), loopsUnder(root));
    }

    /** Mount points under {@code root}, in mountinfo order (parsed by the node plugin's own {@link MountTable}). */
    static List<String> mountsUnder(String root) {
        List<String> out = new ArrayList<>();
        for (MountTable.Mount m : MountTable.mounts()) {
            String mountPoint = m.mountPoint().toString();
            if (mountPoint.equals(root) || mountPoint.startsWith(root + "/")) {
                out.add(mountPoint);
            }
        }
        return out;
    }

    /** "loopN -> backing file" for every loop device whose backing file lies under {@code root}. */
    static List<String> loopsUnder(String root) {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> loops = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path loop : loops) {
                try {
                    String backing =
                            Files.readString(loop.resolve("loop/backing_file")).strip();
                    if (backing.startsWith(root + "/")) {
                        out.add(loop.getFileName() + " -> " + backing);
                    }
                } catch (NoSuchFileException e) {
                    // not attached
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * Whether the file system mounted at {@code mountPoint} is read-write: both its mount's options and its super
     * block's (ext4 remounts itself read-only after an I/O error by setting the latter) start with {@code rw}.
     */
    public static boolean readWrite(Path mountPoint) {
        String point = mountPoint.toAbsolutePath().normalize().toString();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                int dash = List.of(fields).indexOf("-");
                if (fields[4].equals(point) && dash > 0 && dash + 3 < fields.length) {
                    return fields[5].startsWith("rw") && fields[dash + 3].startsWith("rw");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError(point + " is not a mount point");
    }

    /** Processes whose command line names something under {@code dir} (a node or holder left running). */
    public static List<String> processesUnder(Path dir) {
        String root = dir.toAbsolutePath().normalize().toString();
        List<String> out = new ArrayList<>();
        ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .forEach(p -> {
                    try {
                        String cmdline = Files.readString(Path.of("/proc/" + p.pid() + "/cmdline"))
                                .replace('\0', ' ');
                        if (cmdline.contains(root + "/") || cmdline.contains(root + " ")) {
                            out.add(p.pid() + " " + cmdline.strip());
                        }
                    } catch (IOException e) {
                        // gone meanwhile
                    }
                });
        return out;
    }

    /** Lazily unmounts everything under {@code dir} (deepest first) and detaches loops backed there. Never throws. */
    public static void cleanUpUnder(Path dir) {
        String root = dir.toAbsolutePath().normalize().toString();
        try {
            for (int round = 0; round < 4 && !mountsUnder(root).isEmpty(); round++) {
                mountsUnder(root).stream()
                        .sorted(Comparator.comparingInt(String::length).reversed())
                        .forEach(m -> run("umount", "-l", m));
            }
            for (String loop : loopsUnder(root)) {
                run("losetup", "-d", "/dev/" + loop.substring(0, loop.indexOf(' ')));
            }
        } catch (RuntimeException e) {
            System.err.println("cleanup under " + root + " failed: " + e);
        }
    }

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
