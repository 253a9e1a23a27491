package dev.vdisk.kube.resource;

/**
 * Why a node agent refused a resource's spec, carried back to the controller so that it answers the CSI call with the
 * same status code as a local agent would.
 *
 * @param reason  the agent API's {@code dev.vdisk.api.agent.AgentReason} name, e.g. {@code OUT_OF_SPACE}
 * @param message what happened and what to do, for people
 */
public record Failure(String reason, String message) {}
