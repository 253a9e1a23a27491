package dev.vdisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.engine.CorruptMetadataException;
import dev.vdisk.engine.EngineException;
import dev.vdisk.engine.EngineIOException;
import dev.vdisk.engine.InvalidRangeException;
import dev.vdisk.engine.OutOfSpaceException;
import dev.vdisk.engine.PoolClosedException;
import dev.vdisk.engine.PoolLockedException;
import dev.vdisk.engine.Reason;
import dev.vdisk.engine.ShrinkNotSupportedException;
import dev.vdisk.engine.UnsupportedFormatException;
import dev.vdisk.engine.VdiskExistsException;
import dev.vdisk.engine.VdiskNotFoundException;
import io.grpc.Status;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Every engine exception, and every {@link Reason}, gets its status code from StatusMapper with its message. */
class EngineErrorMappingTest {

    private final StatusMapper mapper = new StatusMapper();

    static Stream<Arguments> engineExceptions() {
        return Stream.of(
                Arguments.of(new VdiskNotFoundException("vdisk pvc-1 does not exist"), Status.Code.NOT_FOUND),
                Arguments.of(new VdiskExistsException("vdisk pvc-1 already exists"), Status.Code.ALREADY_EXISTS),
                Arguments.of(new OutOfSpaceException("write", 4096, 65536), Status.Code.RESOURCE_EXHAUSTED),
                Arguments.of(new InvalidRangeException("offset past the end"), Status.Code.INVALID_ARGUMENT),
                Arguments.of(new ShrinkNotSupportedException("cannot shrink"), Status.Code.FAILED_PRECONDITION),
                Arguments.of(new PoolLockedException("held by pid 7"), Status.Code.FAILED_PRECONDITION),
                Arguments.of(new PoolClosedException("pool is closed"), Status.Code.FAILED_PRECONDITION),
                Arguments.of(new CorruptMetadataException("indirect block 9 fails its checksum"), Status.Code.DATA_LOSS),
                Arguments.of(new UnsupportedFormatException("superblock", 9, 1, 1), Status.Code.FAILED_PRECONDITION),
                Arguments.of(new EngineIOException("pread failed: EIO"), Status.Code.INTERNAL),
                Arguments.of(new AgentException(Reason.FAILED_PRECONDITION, "volume pvc-1 is staged"),
                        Status.Code.FAILED_PRECONDITION));
    }

    @ParameterizedTest
    @MethodSource("engineExceptions")
    void engineExceptionGetsTheCodeOfItsReasonAndKeepsItsMessage(EngineException error, Status.Code expected) {
        Status status = mapper.toStatus(error);
        assertEquals(expected, status.getCode(), error.toString());
        assertEquals(error.getMessage(), status.getDescription());
        assertSame(error, status.getCause());
    }

    @ParameterizedTest
    @EnumSource(Reason.class)
    void everyReasonMapsToACodeOtherThanUnknownOrOk(Reason reason) {
        Status.Code code = mapper.toStatus(new AgentException(reason, "r")).getCode();
        assertEquals(StatusMapper.codeOf(reason), code);
        assertEquals(false, code == Status.Code.OK || code == Status.Code.UNKNOWN || code == Status.Code.UNIMPLEMENTED,
                reason + " -> " + code);
    }

    @Test
    void wrappedEngineExceptionIsUnwrappedFirst() {
        assertEquals(Status.Code.NOT_FOUND,
                mapper.toStatus(new CompletionException(new VdiskNotFoundException("gone"))).getCode());
    }

    @Test
    void aRegisteredTranslationStillWinsOverTheReason() {
        mapper.register(e -> e instanceof OutOfSpaceException ? Optional.of(Status.ABORTED.withDescription("custom"))
                : Optional.empty());
        assertEquals(Status.Code.ABORTED, mapper.toStatus(new OutOfSpaceException("w", 0, 1)).getCode());
    }
}
