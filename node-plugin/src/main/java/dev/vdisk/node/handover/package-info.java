/**
 * What lets volumes outlive a restart of the node agent: a store of open descriptors kept by a separate, long-lived
 * process ({@link dev.vdisk.node.handover.DescriptorStore}), from which a restarted agent takes over the FUSE
 * connection and the loop devices instead of building new ones.
 */
package dev.vdisk.node.handover;
