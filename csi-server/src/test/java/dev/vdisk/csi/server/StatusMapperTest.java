package dev.vdisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class StatusMapperTest {

    /** Stand-ins for a plugin's own exceptions, taught to the mapper through ErrorTranslation. */
    static final class VolumeNotFound extends RuntimeException {
        VolumeNotFound(String id) {
            super("volume " + id + " not found");
        }
    }

    static final class OutOfSpace extends RuntimeException {
        final long free;
        final long requested;

        OutOfSpace(long free, long requested) {
            super("out of space");
            this.free = free;
            this.requested = requested;
        }
    }

    static final class SpecialVolumeNotFound extends RuntimeException {}

    private final StatusMapper mapper = new StatusMapper();

    @Test
    void statusRuntimeExceptionPassesThrough() {
        Status chosen = Status.ALREADY_EXISTS.withDescription("volume pvc-1 exists with another size");
        assertSame(chosen, mapper.toStatus(chosen.asRuntimeException()));
    }

    @Test
    void statusExceptionPassesThrough() {
        Status chosen = Status.ABORTED.withDescription("operation pending for volume pvc-1");
        assertSame(chosen, mapper.toStatus(new StatusException(chosen)));
    }

    @Test
    void illegalArgumentIsInvalidArgumentWithItsMessage() {
        Status status = mapper.toStatus(new IllegalArgumentException("volume_id missing in request"));
        assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
        assertEquals("volume_id missing in request", status.getDescription());
    }

    @Test
    void unsupportedOperationIsUnimplemented() {
        assertEquals(
                Status.Code.UNIMPLEMENTED,
                mapper.toStatus(new UnsupportedOperationException("no resize")).getCode());
    }

    @Test
    void timeoutIsDeadlineExceeded() {
        assertEquals(
                Status.Code.DEADLINE_EXCEEDED,
                mapper.toStatus(new TimeoutException("flush")).getCode());
    }

    @Test
    void cancellationAndInterruptionAreCancelled() {
        assertEquals(
                Status.Code.CANCELLED,
                mapper.toStatus(new CancellationException()).getCode());
        assertEquals(
                Status.Code.CANCELLED,
                mapper.toStatus(new InterruptedException()).getCode());
    }

    @Test
    void unknownIsInternalWithClassAndMessage() {
        IOException error = new IOException("disk on fire");
        Status status = mapper.toStatus(error);
        assertEquals(Status.Code.INTERNAL, status.getCode());
        assertEquals("java.io.IOException: disk on fire", status.getDescription());
        assertSame(error, status.getCause());
    }

    @Test
    void descriptionIsNeverEmpty() {
        assertEquals(
                "java.lang.NullPointerException: NullPointerException",
                mapper.toStatus(new NullPointerException()).getDescription());
        assertEquals(
                "IllegalArgumentException",
                mapper.toStatus(new IllegalArgumentException()).getDescription());
    }

    @Test
    void wrappersAreUnwrapped() {
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                mapper.toStatus(new CompletionException(new IllegalArgumentException("bad")))
                        .getCode());
        assertEquals(
                Status.Code.NOT_FOUND,
                mapper.toStatus(new ExecutionException(Status.NOT_FOUND.asRuntimeException()))
                        .getCode());
        assertEquals(
                Status.Code.INTERNAL,
                mapper.toStatus(new CompletionException(null)).getCode());
    }

    @Test
    void registeredTranslationsMapModuleExceptions() {
        mapper.register(ErrorTranslation.of(VolumeNotFound.class, Status.Code.NOT_FOUND))
                .register(ErrorTranslation.of(
                        OutOfSpace.class,
                        Status.Code.RESOURCE_EXHAUSTED,
                        e -> "pool has " + e.free + " bytes free, " + e.requested + " requested"));

        Status notFound = mapper.toStatus(new VolumeNotFound("pvc-9"));
        assertEquals(Status.Code.NOT_FOUND, notFound.getCode());
        assertEquals("volume pvc-9 not found", notFound.getDescription());

        Status full = mapper.toStatus(new OutOfSpace(4096, 1 << 20));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, full.getCode());
        assertEquals("pool has 4096 bytes free, 1048576 requested", full.getDescription());
        assertTrue(full.getCause() instanceof OutOfSpace);

        assertEquals(
                Status.Code.RESOURCE_EXHAUSTED,
                mapper.toStatus(new CompletionException(new OutOfSpace(0, 1))).getCode(),
                "unwrapped, then translated");
    }

    @Test
    void firstRegisteredTranslationWinsAndBeatsBuiltIns() {
        mapper.register(e -> e instanceof SpecialVolumeNotFound
                        ? Optional.of(Status.NOT_FOUND.withDescription("special"))
                        : Optional.empty())
                .register(ErrorTranslation.of(RuntimeException.class, Status.Code.UNAVAILABLE));
        assertEquals("special", mapper.toStatus(new SpecialVolumeNotFound()).getDescription());
        assertEquals(
                Status.Code.UNAVAILABLE,
                mapper.toStatus(new IllegalArgumentException("x")).getCode());
        assertEquals(
                Status.Code.INTERNAL, mapper.toStatus(new Exception("checked")).getCode());
    }

    @Test
    void translationForAnotherTypeDoesNotAnswer() {
        assertEquals(
                Optional.empty(),
                ErrorTranslation.of(VolumeNotFound.class, Status.Code.NOT_FOUND)
                        .translate(new IllegalStateException()));
    }
}
