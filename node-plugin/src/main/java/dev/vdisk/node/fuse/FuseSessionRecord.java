package dev.vdisk.node.fuse;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a successor needs to take over a FUSE connection besides its descriptors: the record of the {@code fuse}
 * entry in the {@link dev.vdisk.node.handover.DescriptorStore}.
 *
 * <p>Binary layout (little-endian; strings are u16 length + UTF-8 bytes):
 * <pre>
 * magic u32 "VDFS" @0 | version u16 @4 | mount point string | connection u64 | max_write u32
 * | init flags u32 | init flags2 u32 | time u64 | next inode u64 | image count u32
 * | count x (name string | inode u64)
 * </pre>
 * A record of another version is refused ({@link #decode} throws): the successor then mounts afresh.
 *
 * @param mountPoint the absolute mount point
 * @param connection the fusectl connection id (minor of the mount's device) the descriptors belong to
 * @param maxWrite   max_write negotiated in INIT: the largest request the kernel may send
 * @param flags      INIT flags accepted by the server
 * @param flags2     INIT flags2 accepted by the server
 * @param time       seconds since the epoch shown as the root's and images' times
 * @param nextInode  the next inode to hand out (inodes are never reused on a connection)
 * @param images     image name (volume ID) to inode, in inode order
 */
public record FuseSessionRecord(
        Path mountPoint,
        long connection,
        int maxWrite,
        int flags,
        int flags2,
        long time,
        long nextInode,
        Map<String, Long> images) {
    static final int MAGIC = 0x53464456; // "VDFS" little-endian
    static final short VERSION = 1;

    public FuseSessionRecord {
        images = Collections.unmodifiableMap(new LinkedHashMap<>(images));
    }

    public FuseSessionRecord withImages(long next, Map<String, Long> table) {
        return new FuseSessionRecord(mountPoint, connection, maxWrite, flags, flags2, time, next, table);
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(size()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort(VERSION);
        putString(b, mountPoint.toString());
        b.putLong(connection)
                .putInt(maxWrite)
                .putInt(flags)
                .putInt(flags2)
                .putLong(time)
                .putLong(nextInode)
                .putInt(images.size());
        images.forEach((name, inode) -> {
            putString(b, name);
            b.putLong(inode);
        });
        return b.array();
    }

    private int size() {
        int n = 4 + 2 + 2 + utf8(mountPoint.toString()).length + 8 + 4 + 4 + 4 + 8 + 8 + 4;
        for (String name : images.keySet()) {
            n += 2 + utf8(name).length + 8;
        }
        return n;
    }

    /** Decodes a record; throws with a one-line reason if it is not one of this version. */
    public static FuseSessionRecord decode(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (b.getInt() != MAGIC) {
                throw new IOException("not a FUSE session record (bad magic)");
            }
            short version = b.getShort();
            if (version != VERSION) {
                throw new IOException("FUSE session record of version " + version + ", this program reads " + VERSION);
            }
            Path mountPoint = Path.of(getString(b));
            long connection = b.getLong();
            int maxWrite = b.getInt();
            int flags = b.getInt();
            int flags2 = b.getInt();
            long time = b.getLong();
            long next = b.getLong();
            int count = b.getInt();
            if (count < 0 || count > bytes.length) {
                throw new IOException("FUSE session record claims " + count + " images");
            }
            Map<String, Long> images = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                images.put(getString(b), b.getLong());
            }
            if (b.hasRemaining()) {
                throw new IOException("FUSE session record has " + b.remaining() + " trailing bytes");
            }
            return new FuseSessionRecord(mountPoint, connection, maxWrite, flags, flags2, time, next, images);
        } catch (BufferUnderflowException e) {
            throw new IOException("FUSE session record is truncated (" + bytes.length + " bytes)");
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void putString(ByteBuffer b, String s) {
        byte[] bytes = utf8(s);
        if (bytes.length > 0xffff) {
            throw new IllegalArgumentException("string of " + bytes.length + " bytes in a FUSE session record");
        }
        b.putShort((short) bytes.length).put(bytes);
    }

    private static String getString(ByteBuffer b) {
        byte[] bytes = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
