/**
 * Test support for tests that need root, /dev/fuse and loop devices: {@link dev.vdisk.node.testing.Privileged}
 * (fails loudly when the machine cannot run them, skips only on VDISK_SKIP_PRIVILEGED=1),
 * {@link dev.vdisk.node.testing.LeakCheck} (no mounts or loop devices left under a directory) and
 * {@link dev.vdisk.node.testing.Command} (runs a tool, fails with its output).
 */
package dev.vdisk.node.testing;
