package dev.vdisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code fd-holder}'s own command line, and the agent's {@code --fd-holder}. */
class FdHolderFlagsTest {

    @Test
    void fdHolderMode() throws UsageException {
        FdHolderCommand.Options options = FdHolderCommand.parse(new String[] {"fd-holder", "--socket", "/tmp/h/../h2/s.sock",
                "--log-level=debug"});
        assertEquals(Path.of("/tmp/h2/s.sock"), options.socket());
        assertEquals("debug", options.logLevel());
        assertEquals("fd-holder needs --socket PATH, e.g. --socket /run/vdisk/fd-holder/holder.sock",
                assertThrows(UsageException.class, () -> FdHolderCommand.parse(new String[] {"fd-holder"})).getMessage());
        assertEquals("unknown flag --pool for fd-holder (it takes --socket and --log-level)",
                assertThrows(UsageException.class, () -> FdHolderCommand.parse(new String[] {"fd-holder", "--pool", "/x"}))
                        .getMessage());
        assertEquals("--socket needs a value",
                assertThrows(UsageException.class, () -> FdHolderCommand.parse(new String[] {"fd-holder", "--socket"}))
                        .getMessage());
    }

    @Test
    void agentFlag() throws UsageException {
        assertEquals(Optional.empty(), CommandLine.parse(new String[] {"node"}).fdHolder());
        assertEquals(Optional.of(Path.of("/run/vdisk/fd-holder/holder.sock")),
                CommandLine.parse(new String[] {"node", "--fd-holder", "/run/vdisk/fd-holder/holder.sock"}).fdHolder());
        assertEquals(Optional.of(Path.of("/tmp/h.sock")),
                CommandLine.parse(new String[] {"standalone", "--fd-holder=/tmp/h.sock", "--fuse-transport", "dev"}).fdHolder());
        assertEquals("--fd-holder is for node and standalone modes; the controller never opens a pool",
                assertThrows(UsageException.class, () -> CommandLine.parse(new String[] {"controller", "--fd-holder", "/x"}))
                        .getMessage());
        String uring = assertThrows(UsageException.class,
                () -> CommandLine.parse(new String[] {"node", "--fuse-transport", "uring", "--fd-holder", "/x"})).getMessage();
        assertEquals("--fuse-transport uring cannot be used with --fd-holder: requests a dead process read through"
                + " io_uring are never sent again; use --fuse-transport dev or auto", uring);
    }
}
