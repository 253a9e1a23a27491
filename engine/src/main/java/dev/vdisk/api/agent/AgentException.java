package dev.vdisk.api.agent;

import dev.vdisk.engine.EngineException;
import dev.vdisk.engine.Reason;

/**
 * An agent refusal that is not the engine's (a staged volume cannot be deleted, ...). It is an
 * {@link EngineException} so that the CSI layer maps it by {@link #reason()} like every engine error.
 */
public final class AgentException extends EngineException {
    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public AgentException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    @Override
    public Reason reason() {
        return reason;
    }
}
