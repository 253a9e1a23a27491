/**
 * The node agent's local API: what the controller side asks of the agent that owns a node's pool (create, delete,
 * resize, get and list volumes; snapshots, clones, and the extent streams of snapshot metadata as
 * {@link dev.vdisk.api.agent.BlockExtent}s, not engine types; pool capacity). Entry point {@link dev.vdisk.api.agent.VolumeAgent}.
 *
 * <p>It lives in {@code driver} and not in a plugin so that the controller plugin can depend on it without the
 * node plugin. It imports no gRPC and no Kubernetes types. Errors are {@link dev.vdisk.engine.EngineException}s
 * (the engine's own, or {@link dev.vdisk.api.agent.AgentException}), so that one mapping in the CSI layer turns
 * them into status codes by {@link dev.vdisk.engine.Reason}.
 */
package dev.vdisk.api.agent;
