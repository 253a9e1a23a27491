package dev.vdisk.csi.server;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The one place where an exception becomes a gRPC {@link Status}. Service code throws; the
 * {@link StatusMappingInterceptor} calls {@link #toStatus} for whatever escapes a call.
 *
 * <p>Order of decision:
 * <ol>
 *   <li>{@link StatusRuntimeException} / {@link StatusException}: the service chose the status; it passes through.</li>
 *   <li>{@link CompletionException} / {@link ExecutionException}: unwrapped, the cause is mapped.</li>
 *   <li>Registered {@link ErrorTranslation}s, in registration order; the first that answers wins.</li>
 *   <li>{@link AgentException} (the agent API's failures: the node agent translates the engine's into them): by
 *       {@link AgentException#reason()}, see {@link #codeOf(AgentReason)}.</li>
 *   <li>Built-in JDK mappings: {@link IllegalArgumentException} &rarr; INVALID_ARGUMENT (the spec's code for a
 *       missing or invalid field), {@link UnsupportedOperationException} &rarr; UNIMPLEMENTED,
 *       {@link TimeoutException} &rarr; DEADLINE_EXCEEDED, {@link CancellationException} and
 *       {@link InterruptedException} &rarr; CANCELLED.</li>
 *   <li>Anything else &rarr; INTERNAL with the exception's class and message.</li>
 * </ol>
 * The description is never empty: the spec requires a human-readable message on every non-OK status.
 */
public final class StatusMapper {

    private static final List<ErrorTranslation> BUILT_IN = List.of(
            ErrorTranslation.of(IllegalArgumentException.class, Status.Code.INVALID_ARGUMENT),
            ErrorTranslation.of(UnsupportedOperationException.class, Status.Code.UNIMPLEMENTED),
            ErrorTranslation.of(TimeoutException.class, Status.Code.DEADLINE_EXCEEDED),
            ErrorTranslation.of(CancellationException.class, Status.Code.CANCELLED),
            ErrorTranslation.of(InterruptedException.class, Status.Code.CANCELLED));

    /** Registered while the server is built, read by every failing call: copy-on-write fits. */
    private final List<ErrorTranslation> translations = new CopyOnWriteArrayList<>();

    /** Adds a translation that is consulted before the built-in ones (and after those registered earlier). */
    public StatusMapper register(ErrorTranslation translation) {
        translations.add(translation);
        return this;
    }

    public Status toStatus(Throwable error) {
        return switch (error) {
            case StatusRuntimeException e -> e.getStatus();
            case StatusException e -> e.getStatus();
            case CompletionException e when e.getCause() != null -> toStatus(e.getCause());
            case ExecutionException e when e.getCause() != null -> toStatus(e.getCause());
            default ->
                translate(translations, error)
                        .or(() -> error instanceof AgentException e
                                ? Optional.of(Status.fromCode(codeOf(e.reason()))
                                        .withDescription(describe(e))
                                        .withCause(e))
                                : Optional.empty())
                        .or(() -> translate(BUILT_IN, error))
                        .orElseGet(() -> Status.INTERNAL
                                .withDescription(error.getClass().getName() + ": " + describe(error))
                                .withCause(error));
        };
    }

    /**
     * The gRPC code of an agent failure. Every {@link AgentReason} has one (the switch has no default, so a new
     * reason does not compile until it is mapped here).
     */
    static Status.Code codeOf(AgentReason reason) {
        return switch (reason) {
            case NOT_FOUND -> Status.Code.NOT_FOUND;
            case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
            // the spec's code for "unable to provision in the accessible topology / out of capacity"
            case OUT_OF_SPACE -> Status.Code.RESOURCE_EXHAUSTED;
            case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
            // shrink, locked pool, closed pool, staged volume: retrying the same call cannot help until the state
            // changes
            case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
            // damaged metadata: gRPC's DATA_LOSS ("unrecoverable data loss or corruption") says exactly that, and
            // unlike INTERNAL it tells an operator that retrying will not fix it; run `vdisk check`
            case CORRUPT -> Status.Code.DATA_LOSS;
            // a pool written by a newer version: nothing is wrong with the call, the binary must be upgraded first;
            // not UNIMPLEMENTED, which COs read as "this RPC does not exist"
            case UNSUPPORTED -> Status.Code.FAILED_PRECONDITION;
            // the file or device under the pool failed; the message names it
            case IO_ERROR -> Status.Code.INTERNAL;
        };
    }

    private static Optional<Status> translate(List<ErrorTranslation> candidates, Throwable error) {
        for (ErrorTranslation translation : candidates) {
            Optional<Status> status = translation.translate(error);
            if (status.isPresent()) {
                return status;
            }
        }
        return Optional.empty();
    }

    /** The exception's message, or its simple class name when it has none. */
    static String describe(Throwable error) {
        String message = error.getMessage();
        return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
    }
}
