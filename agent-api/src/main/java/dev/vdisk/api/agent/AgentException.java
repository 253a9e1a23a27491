package dev.vdisk.api.agent;

import java.util.Objects;

/**
 * Every failure the agent API reports on purpose: the message says what happened and what to do, {@link #reason()}
 * classifies it. Implementations translate their own failures (the engine's, an API server's) into this at their
 * boundary, so that callers and the CSI layer know one exception type.
 */
public final class AgentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final AgentReason reason;

    public AgentException(AgentReason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason);
    }

    /** A failure translated from {@code cause} (kept for the log), with its message. */
    public AgentException(AgentReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason);
    }

    public AgentReason reason() {
        return reason;
    }
}
