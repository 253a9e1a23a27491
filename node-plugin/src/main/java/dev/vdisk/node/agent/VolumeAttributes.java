package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
    private final String subdir;

    VolumeAttributes(Path poolDir) {
        this(poolDir, "volume-attributes");
    }

    /** Attributes kept in {@code <pool>/<subdir>} (snapshots keep theirs in {@code snapshot-attributes}). */
    VolumeAttributes(Path poolDir, String subdir) {
        this.dir = poolDir.resolve(subdir);
        this.subdir = subdir;
    }

    /**
     * The stored attributes, empty when there is no file. A file that cannot be read (not UTF-8, a bad header or
     * line) is CORRUPT, named relative to the pool ({@link #name}): the caller decides whether that stops its call
     * or only marks the volume.
     */
    Map<String, String> read(String volumeId) {
        Path file = file(volumeId);
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            String header = MAGIC + " " + VERSION;
            if (lines.isEmpty() || !lines.getFirst().equals(header)) {
                throw corrupt(
                        volumeId,
                        "starts with '" + (lines.isEmpty() ? "" : lines.getFirst()) + "', expected '" + header + "'");
            }
            Map<String, String> out = new TreeMap<>();
            for (int i = 1; i < lines.size(); i++) {
                String line = lines.get(i);
                int eq = line.indexOf('=');
                if (eq < 0) {
                    throw corrupt(volumeId, "line " + (i + 1) + " is not key=value");
                }
                out.put(decode(line.substring(0, eq)), decode(line.substring(eq + 1)));
            }
            return out;
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (CharacterCodingException e) {
            throw corrupt(volumeId, "is not UTF-8 text");
        } catch (IllegalArgumentException e) {
            throw corrupt(volumeId, "has a badly encoded key or value (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + name(volumeId) + " failed: " + e.getMessage(), e);
        }
    }

    /** The file's name relative to the pool directory: messages reach users and name no host path. */
    String name(String volumeId) {
        return subdir + "/" + volumeId + ".attrs";
    }

    private AgentException corrupt(String volumeId, String what) {
        return new AgentException(
                AgentReason.CORRUPT,
                name(volumeId) + " in the pool directory " + what
                        + "; repair it or delete it (the volume then has no attributes)");
    }

    /** Replaces the volume's attributes. */
    void write(String volumeId, Map<String, String> attributes) {
        StringBuilder out = new StringBuilder(MAGIC + " " + VERSION + "\n");
        new TreeMap<>(attributes)
                .forEach((k, v) ->
                        out.append(encode(k)).append('=').append(encode(v)).append('\n'));
        Path file = file(volumeId);
        try {
            PrivateFiles.createDirectories(dir);
            PrivateFiles.replaceDurably(file, out);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "writing " + name(volumeId) + " in the pool directory failed: " + e.getMessage(), e);
        }
    }

    void delete(String volumeId) {
        try {
            if (Files.deleteIfExists(file(volumeId))) {
                syncDir();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "deleting " + name(volumeId) + " in the pool directory failed: " + e.getMessage(), e);
        }
    }

    private void syncDir() throws IOException {
        PrivateFiles.syncDirectory(dir);
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
