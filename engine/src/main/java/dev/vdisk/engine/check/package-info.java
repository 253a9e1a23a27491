/**
 * The consistency check; entry point {@link dev.vdisk.engine.check.Checker}, result
 * {@link dev.vdisk.engine.check.CheckReport}; {@link dev.vdisk.engine.check.FallbackPointCheck} re-reads the previous
 * consistency point's metadata.
 */
package dev.vdisk.engine.check;
