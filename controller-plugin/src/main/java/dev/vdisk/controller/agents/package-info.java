/**
 * Where the controller finds the node agents that own the pools. Entry point {@link dev.vdisk.controller.agents.NodeAgents}
 * (node ID &rarr; {@link dev.vdisk.api.agent.VolumeAgent}); the controller never opens a pool itself.
 *
 * <p>Standalone mode has one in-process agent ({@link dev.vdisk.controller.agents.LocalNodeAgents}); controller mode
 * puts the cluster's agents, as custom resources, behind the same interface ({@code kube}'s ResourceNodeAgents), so
 * the services are the same in both.
 */
package dev.vdisk.controller.agents;
