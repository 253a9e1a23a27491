/**
 * Replicating snapshots between pools without knowing of any network: {@link
 * dev.vdisk.engine.replica.SnapshotExport} turns a snapshot's in-use extents (a seed) or a delta between two
 * snapshots into {@link dev.vdisk.engine.replica.ExtentChunk}s, each with a CRC32C; {@link
 * dev.vdisk.engine.replica.ReplicaImport} applies them to a replica vdisk on another pool and, once an import is
 * complete, snapshots it, so the replica holds a read-only snapshot identical to the source's with its own change
 * index. Its {@link dev.vdisk.engine.replica.ReplicaState} (a small file per replica) records the last complete
 * snapshot and the pending import's cursor, so a crash resumes where the data was last durable. Pools are reached only
 * through {@link dev.vdisk.engine.replica.ReplicaHost}; the protocol is in docs/architecture/replication.md.
 */
package dev.vdisk.engine.replica;
