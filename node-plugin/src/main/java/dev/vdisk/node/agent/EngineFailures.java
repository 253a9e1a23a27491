package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.error.Reason;
import java.util.function.Supplier;

/**
 * The node agent's boundary for failures: an engine exception leaving the agent (its API calls, the extent streams
 * they return, the CSI Node service's work) becomes an {@link AgentException} of the matching {@link AgentReason},
 * with the engine's message and the engine exception as cause. Callers and csi-server's StatusMapper know only the
 * API's failures; this class is the one place that knows both.
 */
public final class EngineFailures {
    private EngineFailures() {}

    /** The API failure for an engine failure. */
    public static AgentException translate(EngineException e) {
        return new AgentException(reasonOf(e.reason()), e.getMessage(), e);
    }

    /** Runs {@code call}, translating what the engine throws. */
    public static <T> T translating(Supplier<T> call) {
        try {
            return call.get();
        } catch (EngineException e) {
            throw translate(e);
        }
    }

    /** One API reason per engine reason (no default: a new engine reason does not compile until it is mapped). */
    static AgentReason reasonOf(Reason reason) {
        return switch (reason) {
            case NOT_FOUND -> AgentReason.NOT_FOUND;
            case ALREADY_EXISTS -> AgentReason.ALREADY_EXISTS;
            case OUT_OF_SPACE -> AgentReason.OUT_OF_SPACE;
            case INVALID_ARGUMENT -> AgentReason.INVALID_ARGUMENT;
            case FAILED_PRECONDITION -> AgentReason.FAILED_PRECONDITION;
            case CORRUPT -> AgentReason.CORRUPT;
            case UNSUPPORTED -> AgentReason.UNSUPPORTED;
            case IO_ERROR -> AgentReason.IO_ERROR;
        };
    }
}
