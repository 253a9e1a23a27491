package dev.vdisk.api.agent;

/**
 * Both sides of replication, as a node agent serves them: the source of its snapshots ({@link ReplicaSourceApi}) and
 * the replicas on its pool ({@link ReplicaTargetApi}).
 */
public interface ReplicaApi extends ReplicaSourceApi, ReplicaTargetApi {}
