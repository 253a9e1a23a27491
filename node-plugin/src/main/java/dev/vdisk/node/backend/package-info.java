/**
 * What the data path serves: {@link dev.vdisk.node.backend.BlockBackend}, the shape of the engine's vdisk
 * handle, and two implementations for tests and benchmarks ({@link dev.vdisk.node.backend.FileBackend} over
 * a plain file, {@link dev.vdisk.node.backend.MemoryBackend} in native memory). The engine adapter will live
 * here once node-plugin depends on {@code driver}.
 */
package dev.vdisk.node.backend;
