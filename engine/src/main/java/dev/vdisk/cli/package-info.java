/** The offline {@code vdisk} command line; entry point {@link dev.vdisk.cli.VdiskCli}. */
package dev.vdisk.cli;
