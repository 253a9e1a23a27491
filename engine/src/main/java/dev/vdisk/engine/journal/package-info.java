/**
 * The write journal (append, group commit, recovery, trimming); entry point {@link dev.vdisk.engine.journal.Journal}.
 * A record's bytes are {@link dev.vdisk.engine.journal.JournalRecord}'s, written by
 * {@link dev.vdisk.engine.journal.RecordEncoder}; {@link dev.vdisk.engine.journal.GroupCommit} shares fsyncs between
 * flushers, and the leader syncs the files rotation retired ({@link dev.vdisk.engine.journal.RetiredFiles}).
 * Every file starts with a {@link dev.vdisk.engine.journal.JournalFileHeader}, checked first
 * ({@link dev.vdisk.engine.journal.JournalHeaders}); recovery ({@link dev.vdisk.engine.journal.JournalRepair}) then
 * scans each file's records ({@link dev.vdisk.engine.journal.FileScan}), and
 * {@link dev.vdisk.engine.journal.JournalRecovery} tells a torn tail from damage using the replay position and the
 * {@link dev.vdisk.engine.journal.SyncMark}; damage is described by {@link dev.vdisk.engine.journal.JournalLoss}.
 * {@link dev.vdisk.engine.journal.JournalReplay} reads the records back (what recovery found is held by
 * {@link dev.vdisk.engine.journal.RecoveredRecords}); old files are unlinked by
 * {@link dev.vdisk.engine.journal.FileUnlinker}.
 */
package dev.vdisk.engine.journal;
