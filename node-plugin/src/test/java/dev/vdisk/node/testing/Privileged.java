package dev.vdisk.node.testing;

import dev.vdisk.node.sys.Libc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Guard for tests that use real /dev/fuse, loop devices and mounts. They need root; on a machine that cannot
 * run them they FAIL with the list of what is missing, because a silently skipped data-path test is worse
 * than a red build. The one way to skip them is an explicit {@code VDISK_SKIP_PRIVILEGED=1}.
 */
public final class Privileged implements ExecutionCondition, BeforeAllCallback {
    public static final String SKIP_VARIABLE = "VDISK_SKIP_PRIVILEGED";
    private static final List<String> TOOLS =
            List.of("mkfs.ext4", "mkfs.xfs", "mount", "umount", "fstrim", "blkdiscard", "fio", "stat", "sync");

    /** Every test shows up as skipped, with the reason, when the variable says so; otherwise all run. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return "1".equals(System.getenv(SKIP_VARIABLE))
                ? ConditionEvaluationResult.disabled(
                        SKIP_VARIABLE + "=1: skipping tests that need root, /dev/fuse and loop devices")
                : ConditionEvaluationResult.enabled("privileged tests run (" + SKIP_VARIABLE + " is not 1)");
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if ("1".equals(System.getenv(SKIP_VARIABLE))) {
            return;
        }
        List<String> missing = new ArrayList<>();
        if (!Files.exists(Path.of("/dev/fuse"))) {
            missing.add("/dev/fuse does not exist");
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            missing.add("/dev/loop-control does not exist");
        }
        int euid = Libc.geteuid();
        if (euid != 0) {
            missing.add("effective uid is " + euid + ", not 0");
        }
        for (String tool : TOOLS) {
            if (Command.which(tool) == null) {
                missing.add(tool + " is not on PATH");
            }
        }
        if (!missing.isEmpty()) {
            throw new AssertionError(context.getDisplayName() + " needs root, /dev/fuse, /dev/loop-control and "
                    + TOOLS + ", and this machine lacks: " + String.join("; ", missing)
                    + ". Run as root on a machine with FUSE and loop devices, or set " + SKIP_VARIABLE
                    + "=1 to skip these tests explicitly.");
        }
    }
}
