package dev.vdisk.engine;

import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.error.ForeignPoolFileException;
import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.engine.error.PoolLockedException;
import dev.vdisk.engine.error.VdiskExistsException;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.io.PrivateFiles;
import dev.vdisk.engine.journal.Journal;
import dev.vdisk.engine.journal.SyncMark;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creating and opening a pool ({@link Pool#create}, {@link Pool#open}): the directory and file locks, the checks that
 * refuse foreign or used files, the newest superblock, then the pool's own steps in order: load the catalog, open the
 * journal, replay it, keep what survived a damaged journal, and take a consistency point. On failure everything
 * opened so far is released.
 */
final class PoolOpener {
    private static final Logger LOG = LoggerFactory.getLogger(PoolOpener.class);

    private PoolOpener() {}

    /** Creates a pool in {@code dir} (created if missing) and opens it. */
    static Pool create(Path dir, PoolSpec spec, PoolOptions options) {
        int seg = spec.segmentSize();
        if (Integer.bitCount(seg) != 1 || seg < 4096 || seg > (1 << 20)) {
            throw new InvalidRangeException("segment size " + seg + " must be a power of two from 4 KiB to 1 MiB");
        }
        long segments = spec.sizeBytes() / seg;
        long reserved = Superblock.reservedSegments(seg);
        if (segments < reserved + 8) {
            throw new InvalidRangeException("pool size " + spec.sizeBytes() + " holds fewer than " + (reserved + 8)
                    + " segments of " + seg + " bytes; give a larger --size");
        }
        if (segments > Integer.MAX_VALUE) {
            throw new InvalidRangeException(
                    "pool size " + spec.sizeBytes() + " has more than 2^31 segments; use a" + " larger segment size");
        }
        try {
            PrivateFiles.createDirectories(dir);
            PrivateFiles.tighten(dir); // made earlier, e.g. by a hostPath volume
        } catch (IOException e) {
            throw new EngineIOException("cannot create pool directory " + dir + ": " + e, e);
        }
        PoolLocks lock = PoolLocks.lockDirectory(dir);
        try {
            if (PoolFiles.exists(dir)) {
                throw new VdiskExistsException("a pool already exists in " + dir + " (" + PoolFiles.PROPERTIES
                        + "); open it instead, e.g. 'vdisk --pool " + dir + " pool info'");
            }
            Path dataPath = spec.device() != null ? spec.device() : dir.resolve(PoolFiles.DATA);
            Path journalDir = spec.journalDir() != null ? spec.journalDir() : dir.resolve(PoolFiles.JOURNAL);
            if (spec.device() == null) {
                PrivateFiles.createIfMissing(dataPath);
            } else if (!Files.isWritable(spec.device())) {
                throw new EngineIOException(
                        "device " + spec.device() + " is not writable; check the path and permissions");
            }
            UUID uuid = UUID.randomUUID();
            PoolFiles.Layout layout = new PoolFiles.Layout(dataPath, spec.device() != null, journalDir, uuid);
            CreateGuard.refuseUsedData(dir, layout); // first: its message names the pool there
            CreateGuard.refuseUsedJournal(dir, journalDir);
            lock.lockFiles(dir, layout);
            CreateGuard.refuseUsedData(dir, layout); // again under the lock: nobody created a pool there meanwhile
            if (spec.device() == null) {
                try (RandomAccessFile f = new RandomAccessFile(dataPath.toFile(), "rw")) {
                    f.setLength(segments * seg);
                }
            }
            Superblock sb =
                    new Superblock(Superblock.VERSION, Superblock.BLOCK_SIZE, seg, segments, uuid, 0, 0, 0, 0, 0, 1);
            try (DataSpace ds = new DataSpace(dataPath)) {
                ds.writeFully(ByteBuffer.allocateDirect(Superblock.SLOTS * Superblock.SLOT_SIZE), 0);
                ds.force();
            }
            Pool p = new Pool(dir, layout, lock, options, sb, new DataSpace(dataPath));
            try {
                p.attachJournal(
                        Journal.create(journalDir, options.journalFileBytes(), uuid, dir.resolve(SyncMark.FILE)));
                p.checkpointWithReason("create");
                PoolFiles.write(dir, layout);
            } catch (RuntimeException | IOException e) {
                p.abandonQuietly();
                throw e;
            }
            LOG.info(
                    "created pool {} ({} segments of {} bytes, uuid {}, data {}, journal {})",
                    dir,
                    segments,
                    seg,
                    uuid,
                    dataPath,
                    journalDir);
            return p;
        } catch (IOException e) {
            lock.close();
            throw new EngineIOException("cannot create pool in " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Opens the pool in {@code dir}: takes the exclusive lock, reads the newest valid superblock slot, loads the catalog
     * and every indirect block (checking CRCs), rebuilds reference counts, replays the journal from the replay position
     * (dropping a torn tail) and takes a consistency point.
     *
     * @throws PoolLockedException if another process has it open
     * @throws CorruptMetadataException if metadata fails a checksum or holds an impossible number (the message names
     *     the structure)
     * @throws JournalDamagedException if the journal lost fsynced records and {@link PoolOptions#acceptJournalLoss()}
     *     is off
     */
    static Pool open(Path dir, PoolOptions options) {
        return open(dir, options, DataSpace::new);
    }

    /** As {@link #open(Path, PoolOptions)} with the pool's data space made by {@code dataSpaces} (crash-point tests). */
    static Pool open(Path dir, PoolOptions options, Function<Path, DataSpace> dataSpaces) {
        PoolLocks lock = PoolLocks.lockDirectory(dir);
        PoolFiles.Layout layout;
        try {
            layout = PoolFiles.read(dir);
            PoolFiles.refuseCopyNamingOthers(dir, layout);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        Pool p = openLocked(dir, lock, layout, options, dataSpaces);
        if (layout.uuid() == null) { // format 1: record the UUID and store paths inside dir relative to it
            try {
                PoolFiles.write(dir, layout.withUuid(p.uuid()));
            } catch (IOException | RuntimeException e) {
                LOG.warn(
                        "pool {}: cannot upgrade {} ({}); it stays as it was", dir, PoolFiles.PROPERTIES, e.toString());
            }
        }
        return p;
    }

    /**
     * Opens the pool whose files {@code layout} names, with the directory lock {@code lock} held (released on failure):
     * locks the data space and the journal, reads the newest superblock (refused if its UUID is not the one the layout
     * records), loads, replays and takes a consistency point. A damaged journal (records the replay position or the
     * sync mark needs are bad or missing) is refused unless {@link PoolOptions#acceptJournalLoss()}.
     */
    static Pool openLocked(
            Path dir,
            PoolLocks lock,
            PoolFiles.Layout layout,
            PoolOptions options,
            Function<Path, DataSpace> dataSpaces) {
        Pool p = null;
        try {
            PoolFiles.makePrivate(dir, layout);
            lock.lockFiles(dir, layout);
            Superblock sb;
            try (DataSpace ds = new DataSpace(layout.data())) {
                sb = newestSuperblock(ds, layout.data());
                MetadataBounds.superblock(
                        sb,
                        layout.device() ? -1 : ds.size(),
                        String.valueOf(layout.data().getFileName()));
            }
            if (layout.uuid() != null && !layout.uuid().equals(sb.uuid())) {
                throw new ForeignPoolFileException(
                        "the data "
                                + (layout.device()
                                        ? "device " + layout.data()
                                        : "file " + layout.data().getFileName()) + " named by " + PoolFiles.PROPERTIES,
                        sb.uuid(),
                        layout.uuid());
            }
            p = new Pool(dir, layout, lock, options, sb, dataSpaces.apply(layout.data()));
            p.loadCatalog();
            p.attachJournal(Journal.open(
                    layout.journal(),
                    options.journalFileBytes(),
                    sb.replaySeq(),
                    sb.uuid(),
                    dir.resolve(SyncMark.FILE),
                    options.acceptJournalLoss()));
            p.replay(sb.replaySeq());
            p.keepWhatSurvivedLosses();
            p.checkpointWithReason("recovery");
            return p;
        } catch (RuntimeException e) {
            if (p != null) {
                p.abandonQuietly();
            } else {
                lock.close();
            }
            throw e;
        }
    }

    /** Reads both slots and returns the valid one with the highest generation. */
    static Superblock newestSuperblock(DataSpace ds, Path where) {
        Superblock best = null;
        for (int slot = 0; slot < Superblock.SLOTS; slot++) {
            ByteBuffer b = ByteBuffer.allocateDirect(Superblock.SLOT_SIZE);
            ds.readFully(b, (long) slot * Superblock.SLOT_SIZE);
            Superblock s = Superblock.decode(b.flip());
            if (s == null) {
                LOG.warn("superblock slot {} of {} is invalid (torn or never written); using the other", slot, where);
            } else if (best != null && !best.uuid().equals(s.uuid())) {
                throw new CorruptMetadataException("the two superblock slots of " + where + " belong to different"
                        + " pools (" + best.uuid() + " and " + s.uuid() + "): another pool was created over part of"
                        + " it; run 'vdisk check' and restore it from a backup");
            } else if (best == null || s.generation() > best.generation()) {
                best = s;
            }
        }
        if (best == null) {
            throw new CorruptMetadataException("no valid superblock in " + where + " (both slots fail their checksum);"
                    + " this is not a vdisk pool or it is damaged beyond automatic repair");
        }
        return best;
    }
}
