/**
 * The node agent in a cluster: entry point {@link dev.vdisk.kube.node.NodeClusterAgent#start} with a
 * {@link dev.vdisk.kube.node.NodeClusterConfig}. It watches the VdiskVolumes, VdiskSnapshots and VdiskGroupSnapshots
 * bound to its node (label {@code vdisk.csi.dev/node}), reconciles each against the node's
 * {@link dev.vdisk.api.agent.PoolAgent} ({@code VolumeReconciler}, {@code SnapshotReconciler},
 * {@code GroupSnapshotReconciler}), writes status through the status subresource, records Events, publishes its
 * VdiskNode ({@code NodeHeartbeat}) and serves the internal API ({@link dev.vdisk.kube.agentapi}).
 *
 * <p>Kubernetes is the distributed engine (the TopoLVM pattern): the controller writes specs, this package answers
 * them with status, and the finalizer {@code vdisk.csi.dev/node-agent} keeps a resource until the pool no longer
 * has what it names.
 */
package dev.vdisk.kube.node;
