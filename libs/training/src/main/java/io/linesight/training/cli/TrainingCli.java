package io.linesight.training.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code ./run train|evaluate|classify|export|list|promote|rollback|shadow|fixture|keys|bench training}: the ResNet18 training tool. */
@Command(name = "linesight-training", mixinStandardHelpOptions = true, version = "LineSight training 0.1.0",
        description = {"Trains ResNet18 on TensorFlow Java, keeps versions in a model registry and tells the",
                "classifiers which version serves (linesight.model-versions).", ""},
        subcommands = {TrainCommand.class, EvaluateCommand.class, ClassifyCommand.class, ExportCommand.class, ListCommand.class, PromoteCommand.class,
                RollbackCommand.class, ShadowCommand.class, FixtureCommand.class, SplitCommand.class, KeysCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class TrainingCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new TrainingCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // Expected failures (bad data, unknown version, broker down) deserve one clear line, not a stack trace.
            commandLine.getErr().println("error: " + e.getMessage());
            if (System.getenv("LINESIGHT_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        System.exit(cli.execute(args));
    }
}
