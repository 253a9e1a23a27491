package dev.vdisk.node.handover;

import dev.vdisk.node.sys.Libc;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An agent stand-in: opens the write end of the fifo {@code args[1]}, puts it into the holder at {@code args[0]}
 * as {@code args[2]}, prints READY and waits to be killed.
 */
public final class PutterMain {
    private PutterMain() {}

    public static void main(String[] args) throws Exception {
        int fd = Libc.checkedOpen(args[1], Libc.O_WRONLY);
        HolderClient client = HolderClient.connect(Path.of(args[0]), Duration.ofSeconds(10));
        client.put(args[2], new int[] {fd}, "from the putter".getBytes(StandardCharsets.UTF_8));
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join();
    }
}
