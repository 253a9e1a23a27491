package dev.vdisk.api.agent;

import java.io.IOException;
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
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code <pool>/split-status}: the clone splits of a pool as the node agent that holds it open sees them, rewritten by
 * the agent every second, so that {@code vdisk split --status} can report a running node's splits although the pool
 * is locked by that agent (the CSI socket offers no split call, and the command line opens pools, not sockets).
 *
 * <p>Layout: text. Line 1: {@code vdisk-split-status 1 <pid> <written, ms since the epoch>}. Then one line per split,
 * fields separated by one space, each URL-encoded: volume ID, mode, phase, queued (true|false), segments scanned,
 * segments total, segments filled, bytes relocated, bytes per second, ETA seconds, message. {@link #encode} and
 * {@link #decode} are also the agent's encoding of a finished split in its persisted split records.
 *
 * <p>Not authoritative: a copy of the agent's view at the time it was written (tmp &rarr; rename, no fsync: losing
 * it in a crash loses nothing the next start does not rewrite). A reader judges freshness by the time in line 1; the
 * agent deletes the file when it stops.
 *
 * <p>It is part of the agent API, not of the CLI or the engine: the node agent writes it and the offline CLI reads
 * it, and its lines are {@link SplitStatus}es.
 */
public final class SplitStatusFile {
    public static final String NAME = "split-status";
    static final String MAGIC = "vdisk-split-status";
    static final int VERSION = 1;
    /** Created 0600, as every pool file (the file names volumes). */
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    /** What the file says: who wrote it, when, and the splits. */
    public record Contents(long pid, long writtenMillis, List<SplitStatus> splits) {
        public Contents {
            splits = List.copyOf(splits);
        }
    }

    private SplitStatusFile() {}

    /** Rewrites {@code <poolDir>/split-status}. */
    public static void write(Path poolDir, long pid, long nowMillis, List<SplitStatus> splits) throws IOException {
        StringBuilder text = new StringBuilder(MAGIC + " " + VERSION + " " + pid + " " + nowMillis + "\n");
        splits.forEach(s -> text.append(encode(s)).append('\n'));
        Path tmp = poolDir.resolve(NAME + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING),
                OWNER_ONLY)) {
            ByteBuffer bytes = StandardCharsets.UTF_8.encode(text.toString());
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
        }
        Files.move(tmp, poolDir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The file's contents, empty when there is none. */
    public static Optional<Contents> read(Path poolDir) throws IOException {
        Path file = poolDir.resolve(NAME);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        String[] head = lines.isEmpty() ? new String[0] : lines.getFirst().split(" ");
        if (head.length != 4 || !head[0].equals(MAGIC) || !head[1].equals(Integer.toString(VERSION))) {
            throw new IOException(file + " starts with '" + (lines.isEmpty() ? "" : lines.getFirst()) + "', expected '"
                    + MAGIC + " " + VERSION + " <pid> <time>'");
        }
        List<SplitStatus> splits = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            splits.add(decode(line));
        }
        return Optional.of(new Contents(Long.parseLong(head[2]), Long.parseLong(head[3]), splits));
    }

    public static void delete(Path poolDir) throws IOException {
        Files.deleteIfExists(poolDir.resolve(NAME));
    }

    /** One split as one line of URL-encoded fields (see the class comment for their order). */
    public static String encode(SplitStatus s) {
        return String.join(
                " ",
                List.of(
                                s.volumeId(),
                                s.mode(),
                                s.phase(),
                                Boolean.toString(s.queued()),
                                Long.toString(s.segmentsScanned()),
                                Long.toString(s.segmentsTotal()),
                                Long.toString(s.segmentsFilled()),
                                Long.toString(s.bytesRelocated()),
                                Double.toString(s.bytesPerSecond()),
                                Long.toString(s.etaSeconds()),
                                s.message())
                        .stream()
                        .map(f -> URLEncoder.encode(f, StandardCharsets.UTF_8))
                        .toList());
    }

    /** The inverse of {@link #encode}. */
    public static SplitStatus decode(String line) {
        String[] f = line.split(" ", -1);
        if (f.length != 11) {
            throw new IllegalArgumentException("split status line has " + f.length + " fields, not 11: '" + line + "'");
        }
        for (int i = 0; i < f.length; i++) {
            f[i] = URLDecoder.decode(f[i], StandardCharsets.UTF_8);
        }
        return new SplitStatus(
                f[0],
                f[1],
                f[2],
                Long.parseLong(f[4]),
                Long.parseLong(f[5]),
                Long.parseLong(f[6]),
                Long.parseLong(f[7]),
                Double.parseDouble(f[8]),
                Long.parseLong(f[9]),
                f[10],
                Boolean.parseBoolean(f[3]));
    }
}
