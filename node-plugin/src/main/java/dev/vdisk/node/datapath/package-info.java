/**
 * The node's data path: a {@link dev.vdisk.node.backend.BlockBackend} becomes a block device.
 *
 * <p>Entry point: {@link dev.vdisk.node.datapath.DataPath} ({@code start}, {@code attach}, {@code resize},
 * {@code detach}, {@code close}), which combines the FUSE image filesystem ({@code dev.vdisk.node.fuse}) and
 * loop devices ({@code dev.vdisk.node.loop}). {@link dev.vdisk.node.datapath.ServeMain} is the benchmark's
 * stand-alone server.
 */
package dev.vdisk.node.datapath;
