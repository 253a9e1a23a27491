/**
 * Loop devices over image files, configured with ioctls through FFM (no losetup).
 *
 * <p>Entry point: {@link dev.vdisk.node.loop.LoopDevice} ({@code attach}, {@code detach},
 * {@code refreshCapacity}, {@code findByBackingFile}); {@link dev.vdisk.node.loop.LoopControl} hands out free
 * device numbers and {@link dev.vdisk.node.loop.LoopConfig} encodes {@code struct loop_config}.
 */
package dev.vdisk.node.loop;
