/**
 * Vdisk maps as reference-counted radix trees of indirect blocks; entry point {@link dev.vdisk.engine.map.MapTree},
 * its read-only walks in {@code TreeWalks}, a SHARE split's install in {@link dev.vdisk.engine.map.HoleFill}.
 */
package dev.vdisk.engine.map;
