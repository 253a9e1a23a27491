package dev.vdisk.node.handover;

import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.UnixSockets;
import java.nio.file.Path;

/**
 * Not a holder: listens on {@code args[0]} and answers every request OK, keeping nothing (it closes the descriptors
 * it is sent), the way a process of another user squatting the holder's path would. Prints READY once listening.
 */
public final class ImpostorMain {
    private ImpostorMain() {}

    public static void main(String[] args) throws Exception {
        int listener = UnixSockets.seqpacket(false);
        UnixSockets.bind(listener, Path.of(args[0]));
        UnixSockets.listen(listener, 8);
        System.out.println("READY");
        System.out.flush();
        while (true) {
            int fd = UnixSockets.accept(listener); // blocks: the listener is a blocking socket
            if (fd < 0) {
                continue;
            }
            while (true) {
                UnixSockets.poll(new int[] {fd}, -1);
                UnixSockets.Received in;
                try {
                    in = UnixSockets.receive(fd, HolderProtocol.MAX_MESSAGE, UnixSockets.MAX_FDS_PER_MESSAGE, true);
                } catch (Exception e) {
                    break;
                }
                HolderProtocol.closeAll(in.fds());
                if (in.closed()) {
                    break;
                }
                UnixSockets.send(
                        fd, HolderProtocol.encode(HolderProtocol.Status.OK, "", new byte[0]), new int[0], false);
            }
            Libc.close(fd);
        }
    }
}
