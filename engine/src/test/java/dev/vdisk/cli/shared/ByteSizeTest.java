package dev.vdisk.cli.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The one size syntax of the three programs: what each of the three old parsers accepted, and nothing odd. */
class ByteSizeTest {

    @ParameterizedTest
    @CsvSource({
        "4096, 4096",
        "512K, 524288",
        "64KiB, 65536",
        "1T, 1099511627776",
        "1.5G, 1610612736",
        "100GB, 107374182400",
        "2t, 2199023255552",
        "100 MiB, 104857600",
        "512B, 512",
        "0, 0",
        "0.5K, 512",
        "200mib, 209715200",
        "1P, 1125899906842624"
    })
    void parsesWhatTheDocsShow(String text, long bytes) {
        assertEquals(bytes, ByteSize.parse(text).bytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "lots", "12X", "12Q", "-1G", "0.3", "1.5.5M", "5i", "KiB", "99999999999999T", "1 G B"})
    void refusesWithTheTextAndAnExample(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'") && e.getMessage().contains("512K"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"200MiB/s, 209715200", "200M, 209715200", "1.5GiB/s, 1610612736", "512B/s, 512", "1048576, 1048576"})
    void ratesAddPerSecond(String text, long bytesPerSecond) {
        assertEquals(bytesPerSecond, ByteSize.parsePerSecond(text).bytes());
    }

    @Test
    void aRateThatIsNotOneSaysRate() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ByteSize.parsePerSecond("fast/s"))
                .getMessage()
                .startsWith("'fast/s' is not a rate"));
    }

    @ParameterizedTest
    @CsvSource({
        "0, 0B, 0 B",
        "1023, 1023B, 1023 B",
        "1024, 1KiB, 1.0 KiB",
        "65536, 64KiB, 64.0 KiB",
        "1610612736, 1.5GiB, 1.5 GiB",
        "10737418240, 10GiB, 10.0 GiB"
    })
    void rendersCompactAndFixed(long bytes, String compact, String fixed) {
        assertEquals(compact, new ByteSize(bytes).toString());
        assertEquals(fixed, new ByteSize(bytes).toFixedString());
        assertEquals(bytes, ByteSize.parse(compact).bytes(), "the compact form parses back");
    }
}
