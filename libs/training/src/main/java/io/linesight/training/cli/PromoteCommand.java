package io.linesight.training.cli;

import io.linesight.proto.ModelStatus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "promote", mixinStandardHelpOptions = true,
        description = {"Verifies a version's checksums, signs its manifest and makes it serve: writes its pointer",
                "(status SERVING) to linesight.model-versions. This is how a bootstrap model starts serving."})
final class PromoteCommand extends ServingPointerCommand implements Callable<Integer> {
    @Option(names = "--version", required = true, description = "Version to serve.")
    int version;

    @Override
    public Integer call() throws Exception {
        return write(version, ModelStatus.SERVING);
    }
}
