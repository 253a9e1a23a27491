package dev.vdisk.node.handover;

import dev.vdisk.node.sys.UnixSockets;
import java.nio.file.Path;

/**
 * Connects to the holder at {@code args[0]} and asks LIST over the raw wire (not {@link HolderConnection}, which
 * would refuse a holder of another uid before the holder could refuse it); prints {@code ANSWER <status>} or
 * {@code ERROR <message>}. Loads no logging (it runs as another user, with only this module's classes).
 */
public final class ProbeMain {
    private ProbeMain() {}

    public static void main(String[] args) {
        try {
            int fd = UnixSockets.seqpacket(false);
            UnixSockets.connect(fd, Path.of(args[0]));
            UnixSockets.Received in;
            try {
                UnixSockets.send(
                        fd, HolderProtocol.encode(HolderProtocol.Op.LIST.code, "", new byte[0]), new int[0], false);
                in = UnixSockets.receive(fd, HolderProtocol.MAX_MESSAGE, UnixSockets.MAX_FDS_PER_MESSAGE, false);
            } catch (Exception e) {
                // refused at accept: the holder wrote its answer before closing, and it is still queued
                in = UnixSockets.receive(fd, HolderProtocol.MAX_MESSAGE, UnixSockets.MAX_FDS_PER_MESSAGE, true);
            }
            HolderProtocol.Frame frame = HolderProtocol.decode(in.data());
            HolderProtocol.Status status = HolderProtocol.Status.of(frame.code());
            System.out.println(
                    status == HolderProtocol.Status.ERROR
                            ? "ERROR fd holder: " + frame.bodyText()
                            : "ANSWER " + status);
        } catch (Exception e) {
            System.out.println("ERROR " + e.getMessage());
        }
    }
}
