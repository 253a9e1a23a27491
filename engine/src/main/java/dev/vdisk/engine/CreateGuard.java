package dev.vdisk.engine;

import dev.vdisk.engine.error.UnsupportedFormatException;
import dev.vdisk.engine.error.VdiskExistsException;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.journal.JournalFileHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * What {@link Pool#create} refuses to create over: a data file or device whose superblock area holds anything (a
 * pool's superblock in either slot, or any non-zero byte), and a journal directory holding any file. Creating used to
 * zero both superblock slots of an existing pool whose {@code pool.properties} was missing, losing every volume
 * (issue 15); that pool is now kept and the message names {@code vdisk pool import}, which rebuilds the file.
 */
final class CreateGuard {
    private CreateGuard() {}

    /** Refuses when the first two superblock slots of the data space are not all zeros. */
    static void refuseUsedData(Path dir, PoolFiles.Layout layout) {
        String what = layout.device()
                ? "device " + layout.data()
                : "data file " + layout.data().getFileName();
        ByteBuffer head = ByteBuffer.allocateDirect(Superblock.SLOTS * Superblock.SLOT_SIZE);
        try (DataSpace ds = new DataSpace(layout.data())) {
            ds.readFully(head, 0); // zeros past the end of a short file
        }
        head.flip();
        for (int slot = 0; slot < Superblock.SLOTS; slot++) {
            Superblock sb;
            try {
                sb = Superblock.decode(head.duplicate()
                        .position(slot * Superblock.SLOT_SIZE)
                        .limit((slot + 1) * Superblock.SLOT_SIZE)
                        .slice());
            } catch (UnsupportedFormatException e) {
                throw new VdiskExistsException("the " + what + " already holds a vdisk pool of another format"
                        + " version; creating would destroy it: open it with the vdisk build that made it");
            }
            if (sb != null) {
                throw new VdiskExistsException("the " + what + " already holds vdisk pool " + sb.uuid()
                        + " (generation " + sb.generation() + "); creating would destroy it: to use that pool run"
                        + " 'vdisk pool import " + dir + importFlags(dir, layout) + "'");
            }
        }
        while (head.hasRemaining()) {
            if (head.get() != 0) {
                throw new VdiskExistsException("the " + what + " is not empty (its first "
                        + Superblock.SLOTS * Superblock.SLOT_SIZE / 1024 + " KiB hold data, but no vdisk pool"
                        + " superblock); creating would overwrite it: give an empty file or device");
            }
        }
    }

    /** Refuses when the journal directory holds any file but the journal's lock file. */
    static void refuseUsedJournal(Path dir, Path journalDir) throws IOException {
        if (!Files.isDirectory(journalDir)) {
            return;
        }
        List<Path> used;
        try (Stream<Path> s = Files.list(journalDir)) {
            used = s.filter(p -> !p.getFileName().toString().equals(PoolLocks.JOURNAL_LOCK))
                    .sorted()
                    .toList();
        }
        if (used.isEmpty()) {
            return;
        }
        String owner = "";
        for (Path p : used) {
            JournalFileHeader h = header(p);
            if (h != null) {
                owner = " (journal files of vdisk pool " + h.pool() + ")";
                break;
            }
        }
        throw new VdiskExistsException("the journal directory " + journalDir + " is not empty" + owner + "; a journal"
                + " belongs to one pool and is never reused: if it is an existing pool's, run 'vdisk pool import "
                + dir + "' to open that pool, else choose another, empty directory with --journal");
    }

    private static JournalFileHeader header(Path p) {
        if (!Files.isRegularFile(p)) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(JournalFileHeader.LENGTH);
            while (b.hasRemaining() && ch.read(b) > 0) {
                // keep reading
            }
            return JournalFileHeader.decode(b.flip());
        } catch (IOException e) {
            return null;
        }
    }

    private static String importFlags(Path dir, PoolFiles.Layout layout) {
        String flags = layout.device() ? " --device " + layout.data() : "";
        if (!layout.journal()
                .toAbsolutePath()
                .normalize()
                .equals(dir.resolve(PoolFiles.JOURNAL).toAbsolutePath().normalize())) {
            flags += " --journal " + layout.journal();
        }
        return flags;
    }
}
