package dev.vdisk.e2e;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Guard for the hand-over tests: the kernel sends unanswered FUSE requests again (FUSE_NOTIFY_RESEND) from Linux 6.9
 * on; before that no restart can be survived. Under {@code CI=true} an older kernel fails the tests; elsewhere they
 * are skipped with one line saying why.
 */
final class HandoverKernel implements ExecutionCondition {
    static final int[] NEEDED = {6, 9};

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String version = System.getProperty("os.version");
        if (atLeast(version, NEEDED[0], NEEDED[1])) {
            return ConditionEvaluationResult.enabled("kernel " + version + " resends FUSE requests");
        }
        String why = "kernel " + version + " cannot resend FUSE requests (6.9+): no restart can be survived";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(why + " (CI=true: failing instead of skipping)");
        }
        return ConditionEvaluationResult.disabled(why);
    }

    /** Whether a version like {@code 6.18.44-fc-v1300} is at least major.minor. */
    static boolean atLeast(String version, int major, int minor) {
        String[] parts = version.split("[.-]", 3);
        try {
            int ma = Integer.parseInt(parts[0]);
            int mi = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return ma > major || (ma == major && mi >= minor);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
