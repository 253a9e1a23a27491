/** The consistency check; entry point {@link dev.vdisk.engine.check.Checker}, result {@link dev.vdisk.engine.check.CheckReport}. */
package dev.vdisk.engine.check;
