package dev.vdisk.engine.journal;

import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.ForeignPoolFileException;
import dev.vdisk.engine.error.UnsupportedFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The first step of opening a journal, before recovery touches anything: every file's {@link JournalFileHeader} must
 * name this pool, a supported version and the file's own first sequence number.
 */
final class JournalHeaders {
    private JournalHeaders() {}

    /**
     * Checks the headers of {@code files} (the journal's files, oldest first). A file of another pool, of an unsupported
     * version, named after another sequence number than its header's, or with a damaged header is refused, and nothing
     * is changed. Returns the files whose header never reached the disk (shorter than a header, or zeros there: a
     * crash right after the file was created): they hold no record, and {@link JournalRecovery} decides, as for any
     * missing record, whether that is a torn tail (only ever the newest file) or damage.
     */
    static Set<Path> check(List<Path> files, UUID pool) throws IOException {
        Set<Path> torn = new HashSet<>();
        ByteBuffer b = ByteBuffer.allocate(JournalFileHeader.LENGTH);
        for (int i = 0; i < files.size(); i++) {
            Path p = files.get(i);
            String name = p.getFileName().toString();
            b.clear();
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                    // keep reading
                }
            }
            b.flip();
            JournalFileHeader h = JournalFileHeader.decode(b);
            if (h == null) {
                if (b.limit() < JournalFileHeader.LENGTH || allZero(b)) {
                    torn.add(p);
                    continue;
                }
                if (b.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(0) == JournalRecord.MAGIC) {
                    throw new UnsupportedFormatException(
                            "journal file " + name, 1, JournalFileHeader.MIN_VERSION, JournalFileHeader.VERSION);
                }
                throw new CorruptMetadataException("journal file " + name + " has no valid header (not a journal"
                        + " file, or damaged); move it out of the journal directory if it is not this pool's, else"
                        + " run 'vdisk check'");
            }
            if (h.version() < JournalFileHeader.MIN_VERSION || h.version() > JournalFileHeader.VERSION) {
                throw new UnsupportedFormatException(
                        "journal file " + name, h.version(), JournalFileHeader.MIN_VERSION, JournalFileHeader.VERSION);
            }
            if (!h.pool().equals(pool)) {
                throw new ForeignPoolFileException("journal file " + name, h.pool(), pool);
            }
            if (h.firstSeq() != JournalFiles.firstSeqOf(p)) {
                throw new CorruptMetadataException("journal file " + name + " says its first record is "
                        + h.firstSeq() + " (renamed?); give it back its name "
                        + JournalFiles.nameOf(h.firstSeq())
                        + " or move it out of the journal directory");
            }
        }
        return torn;
    }

    private static boolean allZero(ByteBuffer b) {
        for (int i = 0; i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
