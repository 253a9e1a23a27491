/**
 * Interrupt-safe positional I/O on the pool's data space, entry point {@link dev.vdisk.engine.io.DataSpace}; its
 * in-kernel copies, writeback hints and drop-behind go through {@link dev.vdisk.engine.io.KernelRanges} (FFM bindings
 * of {@code copy_file_range}, {@code sync_file_range} and {@code posix_fadvise}); {@link dev.vdisk.engine.io.OfdLock}
 * locks the data file and the journal ({@code fcntl(F_OFD_SETLK)}).
 */
package dev.vdisk.engine.io;
