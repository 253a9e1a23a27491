package dev.vdisk.node.agent;

import java.nio.file.Path;

/**
 * Child process of {@link NodeAgentSplitRestartTest}: starts a node agent on the test's pool and state directory,
 * runs the split operations given as arguments ({@code start:VOLUME} starts a SHARE split at 1 MiB/s,
 * {@code cancel:VOLUME} cancels), prints {@code READY} and waits to be killed (SIGKILL: no close, no consistency
 * point). Args: test directory, then the operations in order.
 */
public final class SplitCrashAgentChild {
    private SplitCrashAgentChild() {}

    public static void main(String[] args) throws Exception {
        NodeAgent agent = NodeAgent.start(NodeAgentSplitRestartTest.config(Path.of(args[0]), 3));
        for (int i = 1; i < args.length; i++) {
            String[] op = args[i].split(":", 2);
            switch (op[0]) {
                case "start" -> agent.startSplit(op[1], "share", NodeAgentSplitRestartTest.CRASH_RATE);
                case "cancel" -> agent.cancelSplit(op[1]);
                default -> throw new IllegalArgumentException("unknown operation " + args[i]);
            }
        }
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(120_000); // the parent kills it long before; never closes the agent
        System.exit(3);
    }
}
