package dev.vdisk.node.agent;

import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.api.agent.SplitStatusFile;
import dev.vdisk.engine.io.PrivateFiles;
import dev.vdisk.engine.split.SplitMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * What the engine does not keep about clone splits, in {@code <pool>/split-requests}: the requests waiting in the
 * agent's queue and the started ones whose split has not ended (the engine records a split once it starts, durably
 * only at its next consistency point), and the final status of finished ones (the engine drops a split's record when
 * it is DONE and keeps none for FAILED). Next to the pool, like the volume attributes, so
 * that it lives as long as the pool and survives a reboot (the state directory is a tmpfs).
 *
 * <p>Layout: text, first line {@code vdisk-split-requests 1}, then {@code queued <volume> <share|copy> <rate B/s>}
 * lines, the started requests first, then the waiting ones in queue order (URL-encoded fields) and {@code final <fields>} lines in {@link SplitStatusFile#encode}'s
 * encoding. Authoritative for the queue and finished statuses; an engine record of the same volume wins at start
 * (it is newer). Written tmp &rarr; fsync &rarr; rename &rarr; fsync of the directory; callers serialise writes.
 */
final class SplitRecords {
    static final String NAME = "split-requests";
    static final String MAGIC = "vdisk-split-requests";
    static final int VERSION = 1;

    /** A queued request as persisted. */
    record Queued(String volumeId, SplitMode mode, long rateBytesPerSecond) {}

    /** The file's contents. */
    record Contents(List<Queued> queued, List<SplitStatus> finished) {}

    private final Path file;

    SplitRecords(Path poolDir) {
        this.file = poolDir.resolve(NAME);
    }

    Contents read() {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Contents(List.of(), List.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String header = MAGIC + " " + VERSION;
        if (lines.isEmpty() || !lines.getFirst().equals(header)) {
            throw new IllegalStateException(file + " starts with '" + (lines.isEmpty() ? "" : lines.getFirst())
                    + "', expected '" + header + "'");
        }
        List<Queued> queued = new ArrayList<>();
        List<SplitStatus> finished = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.startsWith("queued ")) {
                String[] f = line.split(" ");
                if (f.length != 4) {
                    throw new IllegalStateException(file + ": bad line '" + line + "'");
                }
                queued.add(new Queued(
                        URLDecoder.decode(f[1], StandardCharsets.UTF_8),
                        SplitMode.valueOf(f[2].toUpperCase(Locale.ROOT)),
                        Long.parseLong(f[3])));
            } else if (line.startsWith("final ")) {
                finished.add(SplitStatusFile.decode(line.substring("final ".length())));
            } else {
                throw new IllegalStateException(file + ": bad line '" + line + "'");
            }
        }
        return new Contents(queued, finished);
    }

    void write(Collection<Queued> queued, Collection<SplitStatus> finished) {
        StringBuilder text = new StringBuilder(MAGIC + " " + VERSION + "\n");
        for (Queued q : queued) {
            text.append("queued ")
                    .append(URLEncoder.encode(q.volumeId(), StandardCharsets.UTF_8))
                    .append(' ')
                    .append(q.mode().name().toLowerCase(Locale.ROOT))
                    .append(' ')
                    .append(q.rateBytesPerSecond())
                    .append('\n');
        }
        for (SplitStatus s : finished) {
            text.append("final ").append(SplitStatusFile.encode(s)).append('\n');
        }
        try {
            PrivateFiles.replaceDurably(file, text);
        } catch (IOException e) {
            // the message reaches users (startSplit, cancelSplit): the file's name in the pool, not its host path
            throw new UncheckedIOException(
                    "writing split-requests in the pool directory failed: " + FileErrors.reason(e), e);
        }
    }
}
