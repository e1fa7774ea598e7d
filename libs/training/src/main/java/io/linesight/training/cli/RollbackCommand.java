package io.linesight.training.cli;

import io.linesight.proto.ModelStatus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Makes an earlier version serve again: writes its pointer (status ROLLED_BACK) to linesight.model-versions.")
final class RollbackCommand extends ServingPointerCommand implements Callable<Integer> {
    @Option(names = "--to", required = true, description = "Version to go back to.")
    int version;

    @Override
    public Integer call() throws Exception {
        return write(version, ModelStatus.ROLLED_BACK);
    }
}
