package dev.vdisk.kube.cli;

import dev.vdisk.kube.split.ByteUnits;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed command line: {@code split PVC [--mode share|copy] [--rate 200MiB/s] [-n NS] [--wait]},
 * {@code status PVC [-n NS]}, {@code tree PVC [-n NS]} or {@code --help}.
 *
 * @param command   split, status, tree or help
 * @param pvc       the PVC's name (null for help)
 * @param namespace -n/--namespace, null for the kubeconfig context's namespace
 * @param mode      share (default) or copy
 * @param rate      bytes per second, null for no limit
 * @param await     --wait: follow the split until it ends
 */
record Invocation(String command, String pvc, String namespace, String mode, Long rate, boolean await) {

    static Invocation parse(String[] args) throws PluginException {
        List<String> positional = new ArrayList<>();
        String namespace = null;
        String mode = null;
        Long rate = null;
        boolean await = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String inline = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                inline = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "-h", "--help", "help" -> {
                    return new Invocation("help", null, null, null, null, false);
                }
                case "-n", "--namespace" -> namespace = inline != null ? inline : value(args, ++i, a);
                case "--mode" -> mode = inline != null ? inline : value(args, ++i, a);
                case "--rate" -> {
                    String text = inline != null ? inline : value(args, ++i, a);
                    try {
                        rate = ByteUnits.parseRate(text);
                    } catch (IllegalArgumentException e) {
                        throw usage("--rate: " + e.getMessage());
                    }
                }
                case "--wait", "-w" -> await = true;
                default -> {
                    if (a.startsWith("-") && a.length() > 1) {
                        throw usage("unknown flag " + a);
                    }
                    positional.add(a);
                }
            }
        }
        if (positional.isEmpty()) {
            throw usage("no command; use split, status or tree");
        }
        String command = positional.getFirst();
        if (!List.of("split", "status", "tree").contains(command)) {
            throw usage("unknown command '" + command + "'; use split, status or tree");
        }
        if (positional.size() != 2) {
            throw usage(command + " takes exactly one PVC name, got " + (positional.size() - 1));
        }
        if (!command.equals("split") && (mode != null || rate != null || await)) {
            throw usage("--mode, --rate and --wait belong to split");
        }
        if (mode != null && !mode.equals("share") && !mode.equals("copy")) {
            throw usage("--mode must be share or copy, not '" + mode + "'");
        }
        return new Invocation(command, positional.get(1), namespace, mode == null ? "share" : mode, rate, await);
    }

    private static String value(String[] args, int i, String flag) throws PluginException {
        if (i >= args.length || args[i].startsWith("-")) {
            throw usage(flag + " needs a value");
        }
        return args[i];
    }

    private static PluginException usage(String message) {
        return new PluginException(ExitCodes.USAGE, message + " (kubectl vdisk --help)");
    }
}
