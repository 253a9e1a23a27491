package dev.vdisk.controller.agents;

import dev.vdisk.api.agent.AgentSnapshot;

/** A snapshot and the node whose pool holds it (clones of it can only live there). */
public record NodeSnapshot(String nodeId, AgentSnapshot snapshot) {}
