/**
 * Where the controller finds the node agents that own the pools. Entry point {@link dev.vdisk.controller.agents.NodeAgents}
 * (node ID &rarr; {@link dev.vdisk.api.agent.VolumeAgent}); the controller never opens a pool itself.
 *
 * <p>Standalone mode has one in-process agent ({@link dev.vdisk.controller.agents.LocalNodeAgents}); the
 * Kubernetes mode (issue #8) will put custom-resource-backed agents behind the same interface, so the services do not
 * change.
 */
package dev.vdisk.controller.agents;
