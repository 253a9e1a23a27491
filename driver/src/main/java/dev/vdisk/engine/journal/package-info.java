/**
 * The write journal (append, group commit, recovery, trimming); entry point {@link dev.vdisk.engine.journal.Journal}.
 * Recovery scans each file ({@link dev.vdisk.engine.journal.FileScan}), and
 * {@link dev.vdisk.engine.journal.JournalRecovery} tells a torn tail from damage using the replay position and the
 * {@link dev.vdisk.engine.journal.SyncMark}; damage is described by {@link dev.vdisk.engine.journal.JournalLoss}.
 */
package dev.vdisk.engine.journal;
