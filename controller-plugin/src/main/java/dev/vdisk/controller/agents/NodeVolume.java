package dev.vdisk.controller.agents;

import dev.vdisk.api.agent.AgentVolume;

/** A volume and the node whose pool holds it (its only accessible topology). */
public record NodeVolume(String nodeId, AgentVolume volume) {}
