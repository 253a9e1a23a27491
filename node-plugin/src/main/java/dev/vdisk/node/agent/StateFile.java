package dev.vdisk.node.agent;

import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The node agent's record of staged volumes, {@code <state-dir>/node-state}. Authoritative for what the CO has
 * staged and published on this node (the kernel's mount table says what is mounted, not why); after a restart the
 * agent re-establishes exactly what it lists.
 *
 * <p>Layout (UTF-8 text, one record per line, fields separated by one space, each field URL-encoded so that
 * paths and IDs with spaces survive):
 * <pre>
 * vdisk-node-state 1
 * volume &lt;volumeId&gt; &lt;stagingPath&gt; &lt;block|mount&gt; &lt;fsType or -&gt; &lt;mountFlags comma-joined or -&gt; &lt;accessMode&gt;
 * target &lt;volumeId&gt; &lt;targetPath&gt; &lt;ro|rw&gt;          (after its volume line)
 * </pre>
 * Writes go to {@code node-state.tmp}, are fsynced, renamed over the file, and the directory is fsynced: a crash
 * leaves either the old or the new file, never a torn one. A version other than 1 is refused, naming both.
 */
final class StateFile {
    static final String MAGIC = "vdisk-node-state";
    static final int VERSION = 1;

    private final Path file;

    StateFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    /** The recorded volumes; none if the file does not exist yet. */
    List<StagedVolume> read() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        if (lines.isEmpty()) {
            throw new IOException(file + " is empty; expected a '" + MAGIC + " " + VERSION + "' header");
        }
        String[] header = lines.getFirst().split(" ");
        if (header.length != 2 || !header[0].equals(MAGIC)) {
            throw new IOException(file + " is not a vdisk node state file (header '" + lines.getFirst() + "')");
        }
        if (!header[1].equals(Integer.toString(VERSION))) {
            throw new IOException(file + " has format version " + header[1] + ", this agent reads " + VERSION);
        }
        Map<String, StagedVolume> volumes = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String[] f = Arrays.stream(line.split(" "))
                    .map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8))
                    .toArray(String[]::new);
            if (f[0].equals("volume") && f.length == 7) {
                List<String> flags = f[5].equals("-") ? List.of() : List.of(f[5].split(","));
                volumes.put(
                        f[1],
                        new StagedVolume(
                                f[1],
                                Path.of(f[2]),
                                f[3].equals("block"),
                                f[4].equals("-") ? "" : f[4],
                                flags,
                                f[6],
                                Map.of()));
            } else if (f[0].equals("target") && f.length == 4 && volumes.containsKey(f[1])) {
                volumes.put(f[1], volumes.get(f[1]).withTarget(Path.of(f[2]), f[3].equals("ro")));
            } else {
                throw new IOException(file + " line " + (i + 1) + " is not understood: " + line);
            }
        }
        return List.copyOf(volumes.values());
    }

    /** Replaces the file with {@code volumes}: tmp, fsync, rename, fsync the directory. */
    void write(List<StagedVolume> volumes) throws IOException {
        StringBuilder out = new StringBuilder(MAGIC + " " + VERSION + "\n");
        for (StagedVolume v : volumes) {
            out.append(line(
                    "volume",
                    v.volumeId(),
                    v.stagingPath().toString(),
                    v.block() ? "block" : "mount",
                    v.fsType().isEmpty() ? "-" : v.fsType(),
                    v.mountFlags().isEmpty() ? "-" : String.join(",", v.mountFlags()),
                    v.accessMode()));
            v.targets().forEach((t, ro) -> out.append(line("target", v.volumeId(), t.toString(), ro ? "ro" : "rw")));
        }
        PrivateFiles.replaceDurably(file, out);
    }

    private static String line(String... fields) {
        List<String> encoded = new ArrayList<>();
        for (String f : fields) {
            encoded.add(URLEncoder.encode(f, StandardCharsets.UTF_8));
        }
        return String.join(" ", encoded) + "\n";
    }
}
