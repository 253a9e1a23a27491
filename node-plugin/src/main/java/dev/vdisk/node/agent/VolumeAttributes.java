package dev.vdisk.node.agent;

import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The controller's attributes of each volume (CSI name, parameters, mutable parameters), one file per volume in
 * {@code <pool>/volume-attributes/<volumeId>.attrs}, next to the pool so that they live as long as it does (the state
 * directory is a tmpfs that a reboot empties).
 *
 * <p>Layout: text, first line {@code vdisk-volume-attributes 1}, then one {@code key=value} line per attribute,
 * both URL-encoded, sorted by key. Written tmp &rarr; fsync &rarr; rename &rarr; fsync of the directory. Not
 * authoritative for existence: a file whose vdisk does not exist (a crash between writing it and creating the vdisk,
 * or between deleting the vdisk and it) is ignored and overwritten by the next create of that volume ID. The caller
 * holds the volume's lock.
 */
final class VolumeAttributes {
    static final String MAGIC = "vdisk-volume-attributes";
    static final int VERSION = 1;

    private final Path dir;

    VolumeAttributes(Path poolDir) {
        this(poolDir, "volume-attributes");
    }

    /** Attributes kept in {@code <pool>/<subdir>} (snapshots keep theirs in {@code snapshot-attributes}). */
    VolumeAttributes(Path poolDir, String subdir) {
        this.dir = poolDir.resolve(subdir);
    }

    /** The stored attributes, empty when there is no file. */
    Map<String, String> read(String volumeId) {
        Path file = file(volumeId);
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            String header = MAGIC + " " + VERSION;
            if (lines.isEmpty() || !lines.getFirst().equals(header)) {
                throw new IOException(file + " starts with '" + (lines.isEmpty() ? "" : lines.getFirst())
                        + "', expected '" + header + "'");
            }
            Map<String, String> out = new TreeMap<>();
            for (String line : lines.subList(1, lines.size())) {
                int eq = line.indexOf('=');
                if (eq < 0) {
                    throw new IOException(file + ": line '" + line + "' is not key=value");
                }
                out.put(decode(line.substring(0, eq)), decode(line.substring(eq + 1)));
            }
            return out;
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** Replaces the volume's attributes. */
    void write(String volumeId, Map<String, String> attributes) {
        StringBuilder out = new StringBuilder(MAGIC + " " + VERSION + "\n");
        new TreeMap<>(attributes).forEach((k, v) -> out.append(encode(k)).append('=').append(encode(v)).append('\n'));
        Path file = file(volumeId);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            PrivateFiles.createDirectories(dir);
            try (FileChannel ch = PrivateFiles.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(out.toString().getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDir();
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file + " failed: " + e.getMessage(), e);
        }
    }

    void delete(String volumeId) {
        try {
            if (Files.deleteIfExists(file(volumeId))) {
                syncDir();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("deleting " + file(volumeId) + " failed: " + e.getMessage(), e);
        }
    }

    private void syncDir() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /** Volume IDs are engine names ({@code [A-Za-z0-9._:-]}, never "." or ".."), so they are safe file names. */
    private Path file(String volumeId) {
        return dir.resolve(volumeId + ".attrs");
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
