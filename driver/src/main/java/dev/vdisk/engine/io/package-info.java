/** Interrupt-safe positional I/O on the pool's data space; entry point {@link dev.vdisk.engine.io.DataSpace}. */
package dev.vdisk.engine.io;
