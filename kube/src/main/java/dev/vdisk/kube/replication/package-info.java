/**
 * Replicas pulled between node agents, on the node side (issue 19): {@link dev.vdisk.kube.replication.PeerPulls}
 * runs one pull per replica in the background, reaching the source node's agent at the address its VdiskNode
 * publishes through {@link dev.vdisk.kube.agentapi.ReplicaSourceClient}, and reports {@link
 * dev.vdisk.kube.replication.PullProgress} to the reconcilers. The pulling itself (cursor, throttle, retries) is the
 * node plugin's {@code ReplicaPuller}, handed in by the launcher as a {@link
 * dev.vdisk.kube.replication.SnapshotPuller} so that this module does not depend on the node plugin.
 */
package dev.vdisk.kube.replication;
