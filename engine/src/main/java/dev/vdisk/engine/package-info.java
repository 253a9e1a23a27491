/**
 * The vdisk storage engine. Entry point: {@link dev.vdisk.engine.Pool} ({@code create}, {@code open}), which hands
 * out its parts ({@code vdisks()}, {@code snapshots()}, {@code extents()}, {@code lineage()}, {@code splits()}) and
 * {@code vdisks()} hands out {@link dev.vdisk.engine.Vdisk} handles for I/O. Every deliberate error is an
 * {@link dev.vdisk.engine.error.EngineException} with a stable {@link dev.vdisk.engine.error.Reason}.
 *
 * <p>The pool's parts: {@code PoolOpener}, {@code CatalogLoader} and {@code PoolReplay} (create, open, recovery),
 * {@code Vdisks} (create, delete, resize), {@code ConsistencyPoints} with {@code PointTriggers} (when to take one,
 * journal backpressure; the {@code PoolHooks} vdisks see), {@code PoolCheck}, {@code VdiskSplits},
 * {@code VdiskCatalog} (entries by id and name), {@code Snapshots} (snapshots, clones,
 * hidden snapshots; relations in {@code SnapshotChain}, change indexes in {@code ChangeSet}), {@code Lineages},
 * {@code ExtentScans} (scans as {@link dev.vdisk.engine.ExtentScan}s), and the background threads ({@code Destager}, {@code JournalSyncer},
 * {@code Checkpointer} on one {@code BackgroundLoop}). A vdisk's parts, handed the pool's services
 * ({@code VdiskServices}) rather than the pool: {@code VdiskReads} (read path), {@code VdiskWrites} and
 * {@code InPlaceWriter} (write path), {@code ChangesTable} ({@code DirtySegment}s in the {@code Slab}),
 * {@code SegmentDestage}, {@code Discards}, {@code SegmentGates} and {@code TouchedSegments}. Splits are in
 * {@link dev.vdisk.engine.split}, behind {@code SplitHost} and {@code SplitClone}; sub-packages hold the on-disk
 * formats, the allocator, the maps, the journal, I/O, the check and the shared {@code core} types.
 * See docs/architecture/README.md and on-disk-format.md.
 */
package dev.vdisk.engine;
