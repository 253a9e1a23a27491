package dev.vdisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --metrics-listen HOST:PORT}: off by default, parsed in every mode, refused with a reason when malformed. */
class MetricsListenFlagTest {

    @Test
    void offByDefault() throws UsageException {
        assertEquals(
                Optional.empty(), LaunchCommandLine.parse(new String[] {"node"}).metricsListen());
    }

    @Test
    void parsedInEveryModeAndBothSpellings() throws UsageException {
        assertEquals(
                Optional.of(new InetSocketAddress("127.0.0.1", 9808)),
                LaunchCommandLine.parse(new String[] {"controller", "--metrics-listen", "127.0.0.1:9808"})
                        .metricsListen());
        assertEquals(
                Optional.of(new InetSocketAddress("::1", 9100)),
                LaunchCommandLine.parse(new String[] {"standalone", "--metrics-listen=[::1]:9100"})
                        .metricsListen());
        InetSocketAddress any = LaunchCommandLine.parse(new String[] {"node", "--metrics-listen=:9808"})
                .metricsListen()
                .orElseThrow();
        assertTrue(any.getAddress().isAnyLocalAddress(), "no host: every address, got " + any);
        assertEquals(9808, any.getPort());
        assertEquals(new InetSocketAddress("localhost", 1), FlagValidation.listenAddress("localhost:1"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "9808                 | must be HOST:PORT",
                "127.0.0.1            | must be HOST:PORT",
                "127.0.0.1:           | must be HOST:PORT",
                "127.0.0.1:http       | must be HOST:PORT",
                "127.0.0.1:0          | port must be 1 to 65535",
                "127.0.0.1:65536      | port must be 1 to 65535",
                "::1:9808             | an IPv6 address goes in brackets",
                "no-such-host.invalid:9808 | cannot resolve host 'no-such-host.invalid'",
            })
    void malformedValuesAreRefusedWithAReason(String value, String reason) {
        UsageException e = assertThrows(
                UsageException.class, () -> LaunchCommandLine.parse(new String[] {"node", "--metrics-listen", value}));
        assertTrue(e.getMessage().startsWith("--metrics-listen"), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void needsAValueAndIsInTheHelp() {
        assertEquals(
                "Missing required parameter for option '--metrics-listen' (HOST:PORT)",
                assertThrows(
                                UsageException.class,
                                () -> LaunchCommandLine.parse(new String[] {"node", "--metrics-listen"}))
                        .getMessage());
        assertTrue(LaunchCommandLine.create().getUsageMessage().contains("--metrics-listen HOST:PORT"));
    }
}
