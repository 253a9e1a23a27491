/** The write journal (append, group commit, recovery, trimming); entry point {@link dev.vdisk.engine.journal.Journal}. */
package dev.vdisk.engine.journal;
