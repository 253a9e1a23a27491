package dev.vdisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.vdisk.node.handover.DescriptorHolder;
import dev.vdisk.node.handover.StoppingHolder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fd-holder} returns at a signal, and fails (so the process exits 1) when serving stops by itself. */
class FdHolderCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aSignalStopsItCleanly() throws Exception {
        ShutdownSignal signal = new ShutdownSignal();
        try (DescriptorHolder holder =
                DescriptorHolder.start(tmp.resolve("h/holder.sock"), DescriptorHolder.Limits.DEFAULT)) {
            signal.release("SIGTERM");
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> FdHolderCommand.serveUntilStopped(holder, signal));
        }
    }

    @Test
    void servingThatStopsByItselfFailsTheCommand() throws Exception {
        Path socket = tmp.resolve("h/holder.sock");
        try (DescriptorHolder holder = StoppingHolder.start(socket)) {
            Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(200);
                    StoppingHolder.stopServing(socket);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            IOException e = assertTimeoutPreemptively(
                    Duration.ofSeconds(10),
                    () -> assertThrows(
                            IOException.class, () -> FdHolderCommand.serveUntilStopped(holder, new ShutdownSignal())));
            assertEquals(
                    "the fd holder stopped serving (java.lang.StackOverflowError); exiting so that its container"
                            + " is restarted; agents put their entries again when it is back",
                    e.getMessage());
        }
    }
}
