/**
 * Pulling replicas: {@link dev.vdisk.node.replication.ReplicaPuller} feeds a replica on this node's pool from a source
 * agent's stream, throttled, recording the cursor as it goes and resuming from it after a dropped connection; its
 * {@link dev.vdisk.node.replication.PullStatus} gives bytes, percent and ETA. It knows the agent API only: the source
 * may be the local agent or a remote one reached over the agent API's transport.
 */
package dev.vdisk.node.replication;
