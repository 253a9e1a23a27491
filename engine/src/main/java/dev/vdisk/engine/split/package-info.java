/**
 * Splitting a clone from its backing snapshot in the background: {@link dev.vdisk.engine.split.Splits} (a pool's
 * tasks), {@link dev.vdisk.engine.split.SplitTask} (one task's thread and progress), {@code Splitter} (fills a run of
 * holes, finds what is left; its javadoc has the commit protocol) with {@code ShareRun}, {@code CopyRun} (a run of each
 * mode) and {@code ChainResolution} (what the backing chain maps in one block), and {@code SplitCopier} (COPY's
 * in-kernel mover).
 * The pool is reached only through {@link dev.vdisk.engine.split.SplitHost} and the clone through
 * {@link dev.vdisk.engine.split.SplitClone}, so this package depends on the maps, the allocator and the data space,
 * not on {@code Pool} or {@code Vdisk}. It still imports the engine's exceptions, which stay with {@code Reason}.
 */
package dev.vdisk.engine.split;
