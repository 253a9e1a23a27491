/**
 * What the engine throws: one unchecked {@code EngineException} per kind of failure, each naming its {@code Reason}.
 * Callers outside the engine translate a reason, never a class hierarchy, into their own errors (the node agent into
 * {@code AgentReason}, the CSI layer into gRPC codes). Every engine package imports these from here, so none of them
 * needs its parent package.
 */
package dev.vdisk.engine.error;
