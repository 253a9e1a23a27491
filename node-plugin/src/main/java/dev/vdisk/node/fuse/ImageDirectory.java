package dev.vdisk.node.fuse;

import dev.vdisk.node.backend.BlockBackend;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The filesystem's only directory (the root, inode 1): one regular file per attached volume.
 *
 * <p>Inode numbers start at 2 and are never reused within a session, so the kernel can never confuse a
 * removed image with a new one (generation is always 1) and FORGET needs no bookkeeping.
 *
 * <p>Threading: workers look images up concurrently without locks ({@link #byInode} reads a volatile
 * copy-on-write array, {@link #byName} a concurrent map); {@link #add} and {@link #remove} come from the
 * control path and are serialized by this object's monitor.
 */
final class ImageDirectory {
    /** One image file: its inode, its name (the volume ID) and what serves its bytes. */
    record Image(long inode, String name, BlockBackend backend) {}

    private final Map<String, Image> byName = new ConcurrentHashMap<>();
    /** Index = inode number; replaced, never mutated, under the monitor. */
    private volatile Image[] byInode = new Image[16];
    // @GuardedBy("this")
    private long nextInode = 2;

    synchronized Image add(String name, BlockBackend backend) {
        return put(name, nextInode, backend);
    }

    /**
     * Puts back an image a predecessor served under {@code inode} (adoption): the kernel may still hold that inode
     * for it, so the number must not change.
     */
    synchronized Image restore(String name, long inode, BlockBackend backend) {
        if (inode < 2 || byInode(inode) != null) {
            throw new IllegalStateException("inode " + inode + " of image " + name + " is taken or invalid");
        }
        return put(name, inode, backend);
    }

    /** The inode the next {@link #add} hands out. */
    synchronized long nextInode() {
        return nextInode;
    }

    /** Raises the next inode (adoption: no inode a predecessor handed out is handed out again). */
    synchronized void skipTo(long next) {
        nextInode = Math.max(nextInode, next);
    }

    /** Name to inode of every image, in inode order. */
    synchronized LinkedHashMap<String, Long> table() {
        LinkedHashMap<String, Long> table = new LinkedHashMap<>();
        list().forEach(i -> table.put(i.name(), i.inode()));
        return table;
    }

    private Image put(String name, long inode, BlockBackend backend) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0
                || bytes.length > 255
                || name.contains("/")
                || name.equals(".")
                || name.equals("..")
                || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a valid image name: '" + name + "'");
        }
        if (byName.containsKey(name)) {
            throw new IllegalStateException("image " + name + " already exists");
        }
        Image image = new Image(inode, name, backend);
        nextInode = Math.max(nextInode, inode + 1);
        Image[] table = byInode;
        if (image.inode() >= table.length) {
            table = Arrays.copyOf(table, (int) Math.max(table.length * 2L, image.inode() + 1));
        } else {
            table = table.clone();
        }
        table[(int) image.inode()] = image;
        byInode = table;
        byName.put(name, image);
        return image;
    }

    synchronized Image remove(String name) {
        Image image = byName.remove(name);
        if (image != null) {
            Image[] table = byInode.clone();
            table[(int) image.inode()] = null;
            byInode = table;
        }
        return image;
    }

    /** The image with this inode, or null (removed, or never existed). Allocation-free: called per request. */
    Image byInode(long inode) {
        Image[] table = byInode;
        return inode >= 0 && inode < table.length ? table[(int) inode] : null;
    }

    Image byName(String name) {
        return byName.get(name);
    }

    /** Images sorted by inode, so that READDIR offsets stay stable while nothing changes. */
    List<Image> list() {
        return byName.values().stream()
                .sorted(Comparator.comparingLong(Image::inode))
                .toList();
    }
}
