package dev.vdisk.node.handover;

import java.nio.file.Path;

/** A holder process: serves {@code args[0]} until killed; prints READY once it is listening. */
public final class HolderProcessMain {
    private HolderProcessMain() {}

    public static void main(String[] args) throws Exception {
        DescriptorHolder holder = DescriptorHolder.start(Path.of(args[0]), DescriptorHolder.Limits.DEFAULT);
        Runtime.getRuntime().addShutdownHook(new Thread(holder::close));
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join();
    }
}
