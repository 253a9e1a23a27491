package dev.vdisk.cli.shared;

import java.io.PrintWriter;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * picocli set up alike for the three programs: a bad command line is one line on stderr,
 * {@code PROGRAM SUBCOMMAND: what is wrong (see PROGRAM SUBCOMMAND --help)}, and exit code {@value #USAGE};
 * {@code --help} works on every command; sizes parse as {@link ByteSize}; a repeated flag takes its last value (as
 * the hand-written parsers did); {@code generate-completion} prints a bash/zsh completion script.
 */
public final class Programs {

    /** Exit code of a bad command line, in all three programs. */
    public static final int USAGE = 2;

    private Programs() {}

    /** The command line of {@code command}, whose {@code @Command} names the program. */
    public static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command);
        cl.addSubcommand("generate-completion", new AutoComplete.GenerateCompletion());
        cl.getSubcommands()
                .get("generate-completion")
                .getCommandSpec()
                .usageMessage()
                .hidden(false);
        cl.registerConverter(ByteSize.class, new ByteSize.Converter());
        cl.setOverwrittenOptionsAllowed(true);
        cl.setUsageHelpWidth(100);
        cl.setParameterExceptionHandler(new OneLine());
        return cl;
    }

    /** The one-line reason for a usage error, as every program prints it after its name. */
    public static String reason(ParameterException e) {
        String message = e.getMessage() == null ? "bad command line" : e.getMessage();
        if (e instanceof UnmatchedArgumentException u && !u.isUnknownOption()) {
            message = "unexpected argument " + String.join(" ", u.getUnmatched());
        }
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** Prints {@code name: reason (see name --help)} on stderr and answers {@value #USAGE}. */
    private static final class OneLine implements IParameterExceptionHandler {
        @Override
        public int handleParseException(ParameterException e, String[] args) {
            String name = e.getCommandLine().getCommandSpec().qualifiedName();
            PrintWriter err = e.getCommandLine().getErr();
            err.println(name + ": " + reason(e) + " (see " + name + " --help)");
            err.flush();
            return USAGE;
        }
    }
}
