package dev.vdisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import io.grpc.Status;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link AgentReason} gets its status code from StatusMapper, with the failure's message. (That each engine
 * exception becomes the right reason is the node agent's translation, tested in node-plugin.)
 */
class AgentErrorMappingTest {

    private final StatusMapper mapper = new StatusMapper();

    static Stream<Arguments> reasons() {
        return Stream.of(
                Arguments.of(AgentReason.NOT_FOUND, Status.Code.NOT_FOUND),
                Arguments.of(AgentReason.ALREADY_EXISTS, Status.Code.ALREADY_EXISTS),
                Arguments.of(AgentReason.OUT_OF_SPACE, Status.Code.RESOURCE_EXHAUSTED),
                Arguments.of(AgentReason.INVALID_ARGUMENT, Status.Code.INVALID_ARGUMENT),
                Arguments.of(AgentReason.FAILED_PRECONDITION, Status.Code.FAILED_PRECONDITION),
                Arguments.of(AgentReason.CORRUPT, Status.Code.DATA_LOSS),
                Arguments.of(AgentReason.UNSUPPORTED, Status.Code.FAILED_PRECONDITION),
                Arguments.of(AgentReason.IO_ERROR, Status.Code.INTERNAL));
    }

    @ParameterizedTest
    @MethodSource("reasons")
    void agentFailureGetsTheCodeOfItsReasonAndKeepsItsMessage(AgentReason reason, Status.Code expected) {
        AgentException error = new AgentException(reason, "volume pvc-1: " + reason);
        Status status = mapper.toStatus(error);
        assertEquals(expected, status.getCode(), error.toString());
        assertEquals(error.getMessage(), status.getDescription());
        assertSame(error, status.getCause());
    }

    @ParameterizedTest
    @EnumSource(AgentReason.class)
    void everyReasonMapsToACodeOtherThanUnknownOrOk(AgentReason reason) {
        Status.Code code = mapper.toStatus(new AgentException(reason, "r")).getCode();
        assertEquals(StatusMapper.codeOf(reason), code);
        assertEquals(
                false,
                code == Status.Code.OK || code == Status.Code.UNKNOWN || code == Status.Code.UNIMPLEMENTED,
                reason + " -> " + code);
    }

    @Test
    void wrappedAgentFailureIsUnwrappedFirst() {
        assertEquals(
                Status.Code.NOT_FOUND,
                mapper.toStatus(new CompletionException(new AgentException(AgentReason.NOT_FOUND, "gone")))
                        .getCode());
    }

    @Test
    void aRegisteredTranslationStillWinsOverTheReason() {
        mapper.register(e -> e instanceof AgentException a && a.reason() == AgentReason.OUT_OF_SPACE
                ? Optional.of(Status.ABORTED.withDescription("custom"))
                : Optional.empty());
        assertEquals(
                Status.Code.ABORTED,
                mapper.toStatus(new AgentException(AgentReason.OUT_OF_SPACE, "w"))
                        .getCode());
    }

    /** A failure that no module translated (an engine exception escaping untranslated, say) is INTERNAL. */
    @Test
    void anUntranslatedFailureIsInternalWithItsClassAndMessage() {
        Status status = mapper.toStatus(new IllegalStateException("pool is closed"));
        assertEquals(Status.Code.INTERNAL, status.getCode());
        assertEquals("java.lang.IllegalStateException: pool is closed", status.getDescription());
    }
}
