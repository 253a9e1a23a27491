package dev.vdisk.engine.replica;

import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A replica's {@link ReplicaState} as the file {@code <dir>/<replica>.replica} (0600, in a 0700 directory): lines
 * {@code key=url-encoded value} (empty = null) after a magic line, and last {@code crc=} the CRC32C of everything
 * before it. Replaced atomically and durably (temporary file, fsync, rename, directory fsync), so a crash leaves the
 * old or the new state.
 */
final class ReplicaStateFile {
    static final String MAGIC = "vdisk-replica 1";
    private static final String SUFFIX = ".replica";

    private ReplicaStateFile() {}

    static Path path(Path dir, String replica) {
        return dir.resolve(replica + SUFFIX);
    }

    /** Names of the replicas with a state file in {@code dir}, sorted; none if it does not exist. */
    static List<String> names(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(SUFFIX) && n.length() > SUFFIX.length())
                    .map(n -> n.substring(0, n.length() - SUFFIX.length()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new EngineIOException("cannot list replica states in " + dir + ": " + e.getMessage(), e);
        }
    }

    static Optional<ReplicaState> read(Path dir, String replica) {
        Path file = path(dir, replica);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new EngineIOException("cannot read replica state " + file + ": " + e.getMessage(), e);
        }
        int crcAt = text.lastIndexOf("crc=");
        if (!text.startsWith(MAGIC + "\n") || crcAt < 0 || !text.endsWith("\n")) {
            throw new CorruptMetadataException("replica state " + file + " is damaged; delete it and seed again");
        }
        String body = text.substring(0, crcAt);
        if (!Integer.toHexString(crc(body)).equals(text.substring(crcAt + 4, text.length() - 1))) {
            throw new CorruptMetadataException("replica state " + file + " fails its CRC32C; delete it, seed again");
        }
        Map<String, String> kv = new HashMap<>();
        for (String line : body.substring(MAGIC.length() + 1).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                String v = URLDecoder.decode(line.substring(eq + 1), StandardCharsets.UTF_8);
                kv.put(line.substring(0, eq), v.isEmpty() ? null : v);
            }
        }
        ReplicaState.Pending p = kv.get("pendingSnap") == null
                ? null
                : new ReplicaState.Pending(
                        kv.get("pendingBase"),
                        kv.get("pendingSnap"),
                        kv.get("pendingReplicaSnap"),
                        Long.parseLong(kv.get("pendingSize")),
                        Long.parseLong(kv.get("pendingCursor")),
                        Long.parseLong(kv.get("pendingDone")),
                        Boolean.parseBoolean(kv.get("pendingAborting")));
        return Optional.of(new ReplicaState(kv.get("replica"), kv.get("lastSnapshot"), kv.get("lastSource"), p));
    }

    static void write(Path dir, ReplicaState s) {
        StringBuilder b = new StringBuilder(MAGIC).append('\n');
        put(b, "replica", s.replica());
        put(b, "lastSnapshot", s.lastSnapshot());
        put(b, "lastSource", s.lastSource());
        ReplicaState.Pending p = s.pending();
        if (p != null) {
            put(b, "pendingBase", p.sourceBase());
            put(b, "pendingSnap", p.sourceSnap());
            put(b, "pendingReplicaSnap", p.replicaSnap());
            put(b, "pendingSize", Long.toString(p.sizeBytes()));
            put(b, "pendingCursor", Long.toString(p.cursor()));
            put(b, "pendingDone", Long.toString(p.doneBytes()));
            put(b, "pendingAborting", Boolean.toString(p.aborting()));
        }
        String crc = Integer.toHexString(crc(b.toString()));
        b.append("crc=").append(crc).append('\n');
        try {
            PrivateFiles.createDirectories(dir);
            PrivateFiles.replaceDurably(path(dir, s.replica()), b);
        } catch (IOException | UncheckedIOException e) {
            throw new EngineIOException("cannot write replica state in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void put(StringBuilder b, String key, String value) {
        b.append(key)
                .append('=')
                .append(value == null ? "" : URLEncoder.encode(value, StandardCharsets.UTF_8))
                .append('\n');
    }

    private static int crc(String s) {
        CRC32C c = new CRC32C();
        c.update(s.getBytes(StandardCharsets.UTF_8));
        return (int) c.getValue();
    }
}
