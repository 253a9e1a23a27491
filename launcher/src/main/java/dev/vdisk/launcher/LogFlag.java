package dev.vdisk.launcher;

import picocli.CommandLine.Option;

/** {@code --log-level}, of every mode. */
final class LogFlag {

    @Option(
            names = "--log-level",
            paramLabel = "LEVEL",
            defaultValue = "info",
            order = 91,
            description = "trace, debug, info, warn or error; logs go to stderr, one line per event")
    String logLevel;
}
