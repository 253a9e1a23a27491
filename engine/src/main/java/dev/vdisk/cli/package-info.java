/**
 * The offline {@code vdisk} command line: entry point {@link dev.vdisk.cli.VdiskCli}, one class per verb group
 * ({@code PoolCommand}, {@code SplitCommand}), per table it prints ({@code VdiskListing}, {@code LineageTree}) and
 * for the byte copying of {@code read} and {@code write} ({@code RawTransfer}).
 */
package dev.vdisk.cli;
