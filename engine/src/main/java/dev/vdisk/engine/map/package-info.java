/** Vdisk maps as reference-counted radix trees of indirect blocks; entry point {@link dev.vdisk.engine.map.MapTree}. */
package dev.vdisk.engine.map;
