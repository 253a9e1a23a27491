package dev.vdisk.node.handover;

import dev.vdisk.node.handover.HeldEntries.Reply;
import dev.vdisk.node.handover.HolderProtocol.Frame;
import dev.vdisk.node.handover.HolderProtocol.Op;
import java.io.IOException;
import java.nio.file.Path;

/**
 * For the launcher's tests: a real holder whose serving stops on a GET of {@code fatal}, as on an error it cannot
 * survive. In the holder's package because its table is package-private.
 */
public final class StoppingHolder {
    private StoppingHolder() {}

    public static DescriptorHolder start(Path socket) throws IOException {
        DescriptorHolder.Limits limits = DescriptorHolder.Limits.DEFAULT;
        return DescriptorHolder.start(socket, limits, new HeldEntries(limits) {
            @Override
            Reply handle(Frame request, int[] fds, String peer) {
                if (request.name().equals("fatal")) {
                    throw new StackOverflowError();
                }
                return super.handle(request, fds, peer);
            }
        });
    }

    /** Makes the holder at {@code socket} stop serving. */
    public static void stopServing(Path socket) throws IOException {
        try (HolderConnection connection = HolderConnection.open(socket)) {
            connection.call(Op.GET, "fatal", new byte[0], new int[0]);
            throw new AssertionError("the holder answered instead of stopping");
        } catch (IOException expected) {
            // the connection closed with the holder
        }
    }
}
