/**
 * What lets volumes outlive a restart of the node agent: a store of open descriptors kept by a separate, long-lived
 * process ({@link dev.vdisk.node.handover.DescriptorStore}), from which a restarted agent takes over the FUSE
 * connection and the loop devices instead of building new ones.
 *
 * <p>{@link dev.vdisk.node.handover.DescriptorHolder} is that process's server ({@code vdisk-csi fd-holder});
 * {@link dev.vdisk.node.handover.HolderClient} is the agent's store, which mirrors every entry and puts them again
 * into a restarted holder; {@code HolderProtocol} is the wire between them (SOCK_SEQPACKET, SCM_RIGHTS). The
 * protocol and what happens when either side dies: docs/architecture/restarts.md.
 */
package dev.vdisk.node.handover;
