package dev.vdisk.csi.server;

import io.grpc.Status;
import java.util.Optional;
import java.util.function.Function;

/**
 * How a module teaches {@link StatusMapper} its own exceptions, without csi-server depending on that module.
 * (The agent API's failures need none: StatusMapper maps every {@code AgentException} by its reason.)
 *
 * <p>The launcher registers one translation per exception type when it builds the server, e.g.
 * {@code mapper.register(ErrorTranslation.of(VolumeBusyException.class, Status.Code.ABORTED))} or
 * {@code ErrorTranslation.of(SomeException.class, Status.Code.UNAVAILABLE, e -> "...")}.
 */
@FunctionalInterface
public interface ErrorTranslation {

    /** The status for {@code error}, or empty when this translation does not know it. */
    Optional<Status> translate(Throwable error);

    /** Maps every {@code type} (and subclass) to {@code code}, with the exception's message as description. */
    static <E extends Throwable> ErrorTranslation of(Class<E> type, Status.Code code) {
        return of(type, code, StatusMapper::describe);
    }

    /** Maps every {@code type} (and subclass) to {@code code}, with a description built from the exception. */
    static <E extends Throwable> ErrorTranslation of(
            Class<E> type, Status.Code code, Function<? super E, String> description) {
        return error -> type.isInstance(error)
                ? Optional.of(Status.fromCode(code)
                        .withDescription(description.apply(type.cast(error)))
                        .withCause(error))
                : Optional.empty();
    }
}
