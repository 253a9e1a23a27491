/** Reference counts, free space and reservations; entry point {@link dev.vdisk.engine.alloc.Allocator}. */
package dev.vdisk.engine.alloc;
