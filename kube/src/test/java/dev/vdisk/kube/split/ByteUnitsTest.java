package dev.vdisk.kube.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Rates as people write them (binary units), and byte counts as they read them. */
class ByteUnitsTest {

    @ParameterizedTest
    @CsvSource({
        "200MiB/s, 209715200",
        "200M, 209715200",
        "200mib/s, 209715200",
        "1.5GiB/s, 1610612736",
        "1048576, 1048576",
        "64KiB, 65536",
        "1T, 1099511627776",
        "100 MiB/s, 104857600",
        "0, 0",
        "512B/s, 512"
    })
    void parsesRates(String text, long bytesPerSecond) {
        assertEquals(bytesPerSecond, ByteUnits.parseRate(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "", "MiB/s", "-5M", "2X", "1.5.5M", "5i", "99999999999999T"})
    void refusesWhatIsNotARate(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteUnits.parseRate(text));
        assertEquals(true, e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"0, 0 B", "1023, 1023 B", "1024, 1.0 KiB", "1572864, 1.5 MiB", "10737418240, 10.0 GiB"})
    void formats(long bytes, String text) {
        assertEquals(text, ByteUnits.format(bytes));
    }
}
