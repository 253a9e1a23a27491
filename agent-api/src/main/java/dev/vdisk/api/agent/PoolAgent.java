package dev.vdisk.api.agent;

/**
 * The whole API of the agent that has a node's pool open: what the controller asks ({@link VolumeAgent}) and what only
 * the pool's owner can report ({@link LineageApi}). The node agent implements it; the cluster mode's node side
 * reconciles resources against it.
 */
public interface PoolAgent extends VolumeAgent, LineageApi {}
