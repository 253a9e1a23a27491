/**
 * Interrupt-safe positional I/O on the pool's data space, entry point {@link dev.vdisk.engine.io.DataSpace}; its
 * in-kernel copies, writeback hints and drop-behind go through {@link dev.vdisk.engine.io.KernelRanges} (FFM bindings
 * of {@code copy_file_range}, {@code sync_file_range} and {@code posix_fadvise}); {@link dev.vdisk.engine.io.OfdLock}
 * locks the data file and the journal ({@code fcntl(F_OFD_SETLK)}). {@link dev.vdisk.engine.io.PrivateFiles}
 * creates every file 0600 and directory 0700 that the engine, the node agent and the CLI write, and tightens older
 * ones.
 */
package dev.vdisk.engine.io;
