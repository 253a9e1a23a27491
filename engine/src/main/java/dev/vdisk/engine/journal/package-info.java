/**
 * The write journal (append, group commit, recovery, trimming); entry point {@link dev.vdisk.engine.journal.Journal}.
 * Every file starts with a {@link dev.vdisk.engine.journal.JournalFileHeader}, checked first
 * ({@link dev.vdisk.engine.journal.JournalHeaders}); recovery then scans each file's records
 * ({@link dev.vdisk.engine.journal.FileScan}), and
 * {@link dev.vdisk.engine.journal.JournalRecovery} tells a torn tail from damage using the replay position and the
 * {@link dev.vdisk.engine.journal.SyncMark}; damage is described by {@link dev.vdisk.engine.journal.JournalLoss}.
 */
package dev.vdisk.engine.journal;
