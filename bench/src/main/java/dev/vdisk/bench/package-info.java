/**
 * The engine's benchmark programs, run by {@code bin/vdisk-bench} through the scripts in {@code e2e/bench}; not part
 * of the image. Each prints its own numbers; the scripts run the peer and print the ratio.
 */
package dev.vdisk.bench;
