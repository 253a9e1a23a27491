/**
 * The CSI Node service. {@link dev.vdisk.node.service.NodeService} is what the gRPC server registers: per RPC it
 * checks the required fields, takes the volume's lock and calls {@link dev.vdisk.node.service.NodeVolumes}, the
 * unlocked implementation (idempotency check, work, response) that is never used on its own.
 * {@link dev.vdisk.node.service.RequestedCapability} is a checked volume_capability. Errors are thrown, never
 * turned into statuses here: {@code StatusMapper} in csi-server does that, by exception type and agent reason (the
 * engine's failures are translated on the way out, by {@link dev.vdisk.node.agent.EngineFailures}).
 */
package dev.vdisk.node.service;
