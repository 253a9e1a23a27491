package dev.vdisk.engine;

import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.engine.error.VdiskExistsException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import dev.vdisk.engine.io.DataSpace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vdisk pool import}: rebuilds a lost or wrong {@code pool.properties} from the pool's own files. Takes the
 * directory's lock, locks the data space and journal, opens the pool from them (the superblock names the pool's UUID,
 * and every journal file must carry it), runs the check, and only when the check is clean writes
 * {@code pool.properties} (paths relative to the directory where they lie inside it), then closes the pool. Nothing
 * is imported over an existing {@code pool.properties}.
 */
public final class PoolImport {
    private static final Logger LOG = LoggerFactory.getLogger(PoolImport.class);

    private PoolImport() {}

    /**
     * Imports the pool whose data is {@code device} (or {@code DIR/pool.data} if null) and whose journal is
     * {@code journalDir} (or {@code DIR/journal}). A damaged journal is refused ({@link JournalDamagedException})
     * unless {@link PoolOptions#acceptJournalLoss()}, as for every open.
     *
     * @return the check's report; {@code pool.properties} was written if and only if it is clean
     */
    public static CheckReport run(Path dir, Path device, Path journalDir, PoolOptions options) {
        if (!Files.isDirectory(dir)) {
            throw new VdiskNotFoundException("pool directory " + dir + " does not exist; give the directory that held"
                    + " the pool (or a new one, with --device and --journal naming the pool's files)");
        }
        PoolLocks lock = PoolLocks.lockDirectory(dir);
        Path data = device != null ? device : dir.resolve(PoolFiles.DATA);
        Path journal = journalDir != null ? journalDir : dir.resolve(PoolFiles.JOURNAL);
        try {
            if (PoolFiles.exists(dir)) {
                throw new VdiskExistsException(PoolFiles.PROPERTIES + " already exists in " + dir + "; import rebuilds"
                        + " a missing one: if it names the wrong files, move it aside (e.g. to "
                        + PoolFiles.PROPERTIES + ".old) and import again");
            }
            if (!Files.exists(data)) {
                throw new VdiskNotFoundException("no data " + (device != null ? "device " : "file ") + data
                        + " to import; give the pool's device with --device");
            }
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        PoolFiles.Layout layout = new PoolFiles.Layout(data, device != null, journal);
        CheckReport report;
        try (Pool p = PoolOpener.openLocked(dir, lock, layout, options, DataSpace::new)) {
            report = p.check();
            if (report.clean()) {
                PoolFiles.write(dir, layout.withUuid(p.info().uuid()));
                LOG.info(
                        "imported pool {} (uuid {}, {} vdisks)",
                        dir,
                        p.info().uuid(),
                        p.info().vdisks());
            }
        } catch (IOException e) {
            throw new EngineIOException("cannot write " + PoolFiles.PROPERTIES + " in " + dir + ": " + e, e);
        }
        return report;
    }
}
