package dev.vdisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandLineTest {

    @Test
    void defaults() throws UsageException {
        LaunchConfig config = CommandLine.parse(new String[] {"node"});
        assertEquals(Mode.NODE, config.mode());
        assertEquals(Path.of("/run/vdisk/csi.sock"), config.endpoint().socketPath());
        assertEquals("vdisk.csi.dev", config.driverName());
        assertEquals(Optional.of(Path.of("/var/lib/vdisk")), config.pool());
        assertEquals("info", config.logLevel());
        assertFalse(config.nodeId().isBlank());
        assertFalse(config.demo());
        assertEquals(Path.of("/var/lib/kubelet"), config.kubeletDir());
        assertEquals(Path.of("/run/vdisk"), config.stateDir());
        assertEquals(OptionalLong.empty(), config.poolSize());
        assertEquals(256, config.maxVolumes());
        assertEquals(2, config.maxSplits());
    }

    @Test
    void nodeAgentFlags() throws UsageException {
        LaunchConfig config = CommandLine.parse(new String[] {"node", "--kubelet-dir", "/tmp/k/../kubelet",
                "--state-dir=/tmp/state", "--pool-size", "64G", "--max-volumes=12", "--max-splits", "3"});
        assertEquals(Path.of("/tmp/kubelet"), config.kubeletDir());
        assertEquals(Path.of("/tmp/state"), config.stateDir());
        assertEquals(OptionalLong.of(64L << 30), config.poolSize());
        assertEquals(12, config.maxVolumes());
        assertEquals(3, config.maxSplits());
        assertEquals(OptionalLong.of(1048576), CommandLine.parse(new String[] {"standalone", "--pool-size=1048576"}).poolSize());
    }

    @Test
    void everyFlagInBothSpellings() throws UsageException {
        LaunchConfig config = CommandLine.parse(new String[] {"standalone", "--endpoint=unix:///tmp/a.sock",
                "--driver-name", "x.example.com", "--node-id=n1", "--pool", "/tmp/p/../pool", "--log-level=debug", "--demo"});
        assertEquals(Path.of("/tmp/a.sock"), config.endpoint().socketPath());
        assertEquals("x.example.com", config.driverName());
        assertEquals("n1", config.nodeId());
        assertEquals(Optional.of(Path.of("/tmp/pool")), config.pool());
        assertEquals("debug", config.logLevel());
        assertTrue(config.demo());
    }

    @Test
    void controllerHasNoPool() throws UsageException {
        assertEquals(Optional.empty(), CommandLine.parse(new String[] {"controller"}).pool());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''|missing mode",
            "nodes|unknown mode 'nodes'",
            "--endpoint|the mode comes first",
            "node --bogus|unknown flag --bogus",
            "node --endpoint|--endpoint needs a value",
            "node --endpoint tcp://x:1|--endpoint: endpoint must look like unix:///",
            "node --log-level loud|--log-level must be one of",
            "node --demo|--demo works in standalone mode only",
            "controller --pool /x|--pool is for node and standalone modes",
            "node extra|unexpected argument 'extra'",
            "standalone --demo=yes|--demo takes no value",
            "controller --state-dir /x|--state-dir is for node and standalone modes",
            "controller --kubelet-dir /x|--kubelet-dir is for node and standalone modes",
            "node --pool-size 12Q|--pool-size must be a positive size",
            "node --pool-size -1G|--pool-size must be a positive size",
            "node --max-volumes 0|--max-volumes must be a positive whole number",
            "node --max-splits 0|--max-splits must be a positive whole number",
    })
    void badCommandLinesSayWhy(String line, String reason) {
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        UsageException e = assertThrows(UsageException.class, () -> CommandLine.parse(args));
        assertTrue(e.getMessage().startsWith(reason), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void helpWinsAnywhereAndNamesEveryModeAndFlag() {
        assertTrue(CommandLine.wantsHelp(new String[] {"node", "--bogus", "-h"}));
        assertFalse(CommandLine.wantsHelp(new String[] {"node"}));
        for (String word : new String[] {"controller", "node", "standalone", "--endpoint", "--driver-name", "--node-id",
                "--pool", "--log-level", "--demo", "--help", "--kubelet-dir", "--state-dir", "--pool-size", "--max-volumes", "--max-splits"}) {
            assertTrue(CommandLine.USAGE.contains(word), word);
        }
    }
}
