/**
 * On-disk encodings, each class starting with its byte layout: {@link dev.vdisk.engine.format.Superblock} (entry
 * point: where open starts), {@link dev.vdisk.engine.format.Catalog}, {@link dev.vdisk.engine.format.IndirectBlock},
 * {@link dev.vdisk.engine.format.MapEntry}. The journal record layout lives in
 * {@code dev.vdisk.engine.journal.JournalRecord}.
 */
package dev.vdisk.engine.format;
