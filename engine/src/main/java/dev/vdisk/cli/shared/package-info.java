/**
 * What the three command-line programs ({@code bin/vdisk}, {@code bin/vdisk-csi}, {@code bin/kubectl-vdisk}) share,
 * so that they read and answer alike: {@link dev.vdisk.cli.shared.ByteSize} (the one size syntax and its two
 * renderings), {@link dev.vdisk.cli.shared.ProgressBar} (the one live progress line), and
 * {@link dev.vdisk.cli.shared.Programs} (picocli set up the same way: one-line usage errors, exit code 2,
 * {@code --help} on every command, {@code generate-completion}).
 */
package dev.vdisk.cli.shared;
