package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.csi.server.StatusMapper;
import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.error.PoolClosedException;
import dev.vdisk.engine.error.PoolLockedException;
import dev.vdisk.engine.error.Reason;
import dev.vdisk.engine.error.ShrinkNotSupportedException;
import dev.vdisk.engine.error.UnsupportedFormatException;
import dev.vdisk.engine.error.VdiskExistsException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import io.grpc.Status;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every engine exception leaves the node agent as the API failure of its reason, with its message, and so gets the
 * status code it always had from csi-server's StatusMapper.
 */
class EngineFailuresTest {

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
                Arguments.of(
                        new CorruptMetadataException("indirect block 9 fails its checksum"), Status.Code.DATA_LOSS),
                Arguments.of(new UnsupportedFormatException("superblock", 9, 1, 1), Status.Code.FAILED_PRECONDITION),
                Arguments.of(new EngineIOException("pread failed: EIO"), Status.Code.INTERNAL));
    }

    @ParameterizedTest
    @MethodSource("engineExceptions")
    void engineExceptionGetsTheCodeOfItsReasonAndKeepsItsMessage(EngineException error, Status.Code expected) {
        AgentException translated = EngineFailures.translate(error);
        assertEquals(error.reason().name(), translated.reason().name(), "same reason, by name");
        assertEquals(error.getMessage(), translated.getMessage());
        assertSame(error, translated.getCause());
        Status status = mapper.toStatus(translated);
        assertEquals(expected, status.getCode(), error.toString());
        assertEquals(error.getMessage(), status.getDescription());
    }

    /** The names are stored in resources' failure fields (cluster mode): they stay the engine's. */
    @ParameterizedTest
    @EnumSource(Reason.class)
    void everyEngineReasonHasTheApiReasonOfItsName(Reason reason) {
        assertEquals(AgentReason.valueOf(reason.name()), EngineFailures.reasonOf(reason));
    }

    @Test
    void translatingPassesResultsAndOtherExceptionsThrough() {
        assertEquals("ok", EngineFailures.translating(() -> "ok"));
        IllegalStateException bug = new IllegalStateException("bug");
        assertSame(
                bug,
                assertThrows(
                        IllegalStateException.class,
                        () -> EngineFailures.translating(() -> {
                            throw bug;
                        })));
        assertEquals(
                AgentReason.NOT_FOUND,
                assertThrows(
                                AgentException.class,
                                () -> EngineFailures.translating(() -> {
                                    throw new VdiskNotFoundException("gone");
                                }))
                        .reason());
    }
}
