package dev.vdisk.kube.resource;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * What a node agent publishes about itself.
 *
 * @param capacity      its pool's space
 * @param agentAddress  host:port of its internal API (changed-block metadata streams), null if it serves none
 * @param heartbeatTime when it last wrote this status (RFC 3339); a stale heartbeat means the agent is down
 * @param conditions    Ready and friends
 */
public record VdiskNodeStatus(
        NodeCapacity capacity, String agentAddress, String heartbeatTime, List<Condition> conditions) {}
