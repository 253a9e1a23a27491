/**
 * The node agent: {@link dev.vdisk.node.agent.NodeAgent} owns this node's engine pool, the data path (FUSE mount
 * and loop devices) under the state directory, the per-volume locks ({@link dev.vdisk.node.agent.VolumeLocks}) and
 * the record of staged volumes ({@link dev.vdisk.node.agent.StagedVolumes}, persisted by
 * {@link dev.vdisk.node.agent.StateFile}). It implements the agent API ({@link dev.vdisk.api.agent.PoolAgent}: the
 * controller-facing {@link dev.vdisk.api.agent.VolumeAgent} and the lineage; engine failures leave it
 * translated by {@link dev.vdisk.node.agent.EngineFailures}) and gives the CSI Node service the host work of
 * staging and publishing ({@link dev.vdisk.node.agent.VolumeStaging}). {@link dev.vdisk.node.agent.Recovery} runs at start and puts
 * back what a dead predecessor left staged; {@link dev.vdisk.node.agent.RestageRetries} keeps trying what could not
 * be put back (a full pool). {@link dev.vdisk.node.agent.PoolSpace} says what the pool can really still write.
 *
 * <p>Lock order: a volume's lock ({@link dev.vdisk.node.agent.VolumeLocks}) &gt; the StagedVolumes monitor &gt;
 * the DataPath monitor &gt; the engine's locks.
 */
package dev.vdisk.node.agent;
