/**
 * What the data path serves: {@link dev.vdisk.node.backend.BlockBackend}, the shape of the engine's vdisk
 * handle; {@link dev.vdisk.node.backend.EngineBackend}, the adapter over an engine vdisk that the node agent
 * attaches, behind a {@link dev.vdisk.node.backend.ThrottledBackend} that enforces the volume's
 * {@link dev.vdisk.node.backend.IoLimits} and a {@link dev.vdisk.node.backend.ConditionBackend} that keeps its
 * {@link dev.vdisk.node.backend.IoCondition} (writes or reads failing, logged once per change); and two
 * implementations for tests and benchmarks ({@link dev.vdisk.node.backend.FileBackend} over a plain file,
 * {@link dev.vdisk.node.backend.MemoryBackend} in native memory).
 */
package dev.vdisk.node.backend;
