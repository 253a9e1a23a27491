/**
 * What the node plugin does to the host besides the data path: mount and unmount ({@link dev.vdisk.node.host.Mounter}),
 * probe, format and grow filesystems ({@link dev.vdisk.node.host.Filesystems}), keep paths inside the kubelet's
 * directory ({@link dev.vdisk.node.host.KubeletPaths}; opened and mounted onto without following links:
 * {@link dev.vdisk.node.host.KubeletTree}), and check that a staged volume still works
 * ({@link dev.vdisk.node.host.VolumeHealth}). External tools run through {@link dev.vdisk.node.host.HostCommand},
 * never through a shell.
 */
package dev.vdisk.node.host;
