/**
 * {@code bin/vdisk-csi}: one launcher for every mode, chosen by the first argument.
 *
 * <p>Entry point: {@link dev.vdisk.launcher.Main}. {@link dev.vdisk.launcher.LaunchCommandLine} (picocli: one
 * subcommand per mode in {@link dev.vdisk.launcher.ModeCommands}, flag groups such as
 * {@link dev.vdisk.launcher.PoolFlags}, checks in {@link dev.vdisk.launcher.FlagValidation}) turns the arguments
 * into a {@link dev.vdisk.launcher.LaunchConfig}; {@link dev.vdisk.launcher.FlagTable} lists the flags for
 * {@code --help} and the README; {@link dev.vdisk.launcher.Mode} says which CSI services a mode
 * serves and which plugin capabilities that implies; Main starts the {@code CsiServer}, marks it ready, and
 * stops it gracefully on SIGTERM/SIGINT. {@link dev.vdisk.launcher.DemoTour} is the {@code --demo} walk-through.
 */
package dev.vdisk.launcher;
