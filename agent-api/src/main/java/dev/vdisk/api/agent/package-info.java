/**
 * The node agent's API: what the controller side asks of the agent that owns a node's pool, as narrow interfaces
 * ({@link dev.vdisk.api.agent.VolumeApi}, {@link dev.vdisk.api.agent.SnapshotApi},
 * {@link dev.vdisk.api.agent.ExtentApi}, {@link dev.vdisk.api.agent.SplitApi}, {@link dev.vdisk.api.agent.LineageApi};
 * {@link dev.vdisk.api.agent.VolumeAgent} is the controller's set of them, {@link dev.vdisk.api.agent.PoolAgent} all
 * of them, as the node agent serves them), the values they return, and the one
 * failure they throw ({@link dev.vdisk.api.agent.AgentException} with an {@link dev.vdisk.api.agent.AgentReason}).
 * {@link dev.vdisk.api.agent.ReplicaApi} replicates snapshots between nodes: the owning agent serves
 * {@link dev.vdisk.api.agent.ReplicaSourceApi}, the agent holding a replica implements
 * {@link dev.vdisk.api.agent.ReplicaTargetApi}. {@link dev.vdisk.api.agent.SplitStatusFile} is how a running agent shows its splits to the offline CLI.
 *
 * <p>It is a module of its own that depends on nothing of the project (no engine, gRPC or Kubernetes types), so that
 * the controller plugin needs neither the engine nor the node plugin, and an implementation translates its own
 * failures into {@code AgentException} at its boundary.
 */
package dev.vdisk.api.agent;
