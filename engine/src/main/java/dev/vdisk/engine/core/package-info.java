/**
 * The few types every engine package needs and that need nothing of the engine: the {@code @GuardedBy} note and
 * {@code ThreadJoin}. Kept apart so that the sub-packages (alloc, map, journal, io, split, ...) never import their
 * parent package for them; the exceptions live likewise in {@code dev.vdisk.engine.error}.
 */
package dev.vdisk.engine.core;
