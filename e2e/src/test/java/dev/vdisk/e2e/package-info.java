/**
 * End-to-end tests: the real {@code bin/vdisk-csi} started as a process, talked to over its real unix socket by a
 * gRPC client the way the CSI sidecars talk to it. {@link dev.vdisk.e2e.LauncherProcess} starts and always stops
 * the process; {@link dev.vdisk.e2e.LauncherIT} holds the tests. Run by maven-failsafe in {@code verify}.
 */
package dev.vdisk.e2e;
