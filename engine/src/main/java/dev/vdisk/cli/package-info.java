/** The offline {@code vdisk} command line: entry point {@link dev.vdisk.cli.VdiskCli}, one class per verb group. */
package dev.vdisk.cli;
