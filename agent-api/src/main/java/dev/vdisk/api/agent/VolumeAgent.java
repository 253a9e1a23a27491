package dev.vdisk.api.agent;

/**
 * What the controller asks of the agent that owns a node's pool: its volumes, snapshots and clones, extent streams
 * and clone splits. Implemented by the node agent itself (standalone mode) and by the controller's view of a node
 * through resources (cluster mode). The node agent serves {@link PoolAgent}: this and {@link LineageApi}.
 */
public interface VolumeAgent extends VolumeApi, SnapshotApi, ExtentApi, SplitApi {}
