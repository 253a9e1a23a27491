/**
 * The vdisk storage engine. Entry point: {@link dev.vdisk.engine.Pool} ({@code create}, {@code open}), which hands
 * out {@link dev.vdisk.engine.Vdisk} handles for I/O. Every deliberate error is an
 * {@link dev.vdisk.engine.EngineException} with a stable {@link dev.vdisk.engine.Reason}. Internals: the changes
 * table ({@code DirtySegment}, {@code Slab}), the {@code Destager}, in-place writes and the segments they must avoid
 * ({@code TouchedSegments}); snapshots, clones and hidden snapshots
 * ({@code Pool.snapshot}, {@code Pool.clone}, relations in {@code SnapshotChain}), change indexes ({@code ChangeSet})
 * and the delta/allocated scans ({@link dev.vdisk.engine.ExtentScan}); sub-packages hold the on-disk formats, the
 * allocator, the maps, the journal, I/O and the check. See docs/architecture/README.md and on-disk-format.md.
 */
package dev.vdisk.engine;
