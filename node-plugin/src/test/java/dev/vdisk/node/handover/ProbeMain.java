package dev.vdisk.node.handover;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Connects to the holder at {@code args[0]} and asks LIST; prints {@code ANSWER <status>} or {@code ERROR <message>}.
 * Loads no logging (it runs as another user, with only this module's classes).
 */
public final class ProbeMain {
    private ProbeMain() {
    }

    public static void main(String[] args) {
        try (HolderConnection connection = HolderConnection.open(Path.of(args[0]))) {
            HolderConnection.Answer answer = connection.call(HolderProtocol.Op.LIST, "", new byte[0], new int[0]);
            System.out.println("ANSWER " + answer.status());
        } catch (IOException e) {
            System.out.println("ERROR " + e.getMessage());
        }
    }
}
