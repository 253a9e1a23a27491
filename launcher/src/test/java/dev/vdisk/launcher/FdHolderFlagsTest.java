package dev.vdisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code fd-holder}'s command line, and the agent's {@code --fd-holder}. */
class FdHolderFlagsTest {

    @Test
    void fdHolderMode() throws UsageException {
        LaunchConfig holder = LaunchCommandLine.parse(
                new String[] {"fd-holder", "--socket", "/tmp/h/../h2/s.sock", "--log-level=debug"});
        assertEquals(Mode.FD_HOLDER, holder.mode());
        assertEquals(Optional.of(Path.of("/tmp/h2/s.sock")), holder.holderSocket());
        assertEquals("debug", holder.logLevel());
        assertEquals(Optional.empty(), holder.pool(), "the holder opens no pool");
        assertEquals(
                "Missing required option: '--socket=PATH'",
                assertThrows(UsageException.class, () -> LaunchCommandLine.parse(new String[] {"fd-holder"}))
                        .getMessage());
        assertEquals(
                "--pool is for node and standalone modes",
                assertThrows(
                                UsageException.class,
                                () -> LaunchCommandLine.parse(
                                        new String[] {"fd-holder", "--socket", "/s", "--pool", "/x"}))
                        .getMessage());
        assertEquals(
                "Missing required parameter for option '--socket' (PATH)",
                assertThrows(
                                UsageException.class,
                                () -> LaunchCommandLine.parse(new String[] {"fd-holder", "--socket"}))
                        .getMessage());
    }

    @Test
    void agentFlag() throws UsageException {
        assertEquals(
                Optional.empty(),
                LaunchCommandLine.parse(new String[] {"node"}).node().fdHolder());
        assertEquals(
                Optional.of(Path.of("/run/vdisk/fd-holder/holder.sock")),
                LaunchCommandLine.parse(new String[] {"node", "--fd-holder", "/run/vdisk/fd-holder/holder.sock"})
                        .node()
                        .fdHolder());
        assertEquals(
                Optional.of(Path.of("/tmp/h.sock")),
                LaunchCommandLine.parse(
                                new String[] {"standalone", "--fd-holder=/tmp/h.sock", "--fuse-transport", "dev"})
                        .node()
                        .fdHolder());
        assertEquals(
                "--fd-holder is for node and standalone modes",
                assertThrows(
                                UsageException.class,
                                () -> LaunchCommandLine.parse(new String[] {"controller", "--fd-holder", "/x"}))
                        .getMessage());
        String uring = assertThrows(
                        UsageException.class,
                        () -> LaunchCommandLine.parse(
                                new String[] {"node", "--fuse-transport", "uring", "--fd-holder", "/x"}))
                .getMessage();
        assertEquals(
                "--fuse-transport uring cannot be used with --fd-holder: requests a dead process read through"
                        + " io_uring are never sent again; use --fuse-transport dev or auto",
                uring);
    }
}
