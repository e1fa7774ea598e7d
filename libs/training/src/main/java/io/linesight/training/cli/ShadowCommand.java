package io.linesight.training.cli;

import io.linesight.proto.ModelStatus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "shadow", mixinStandardHelpOptions = true,
        description = "Runs a version as the shadow candidate beside the serving one (status SHADOW on linesight.model-versions,"
                + " key <model>/shadow), or ends it with --end. The trainer promotes it on live AUDIT evidence (linesight.shadow.*).")
final class ShadowCommand extends ServingPointerCommand implements Callable<Integer> {
    @Option(names = "--version", required = true, description = "Version to shadow.")
    int version;

    @Option(names = "--end", description = "End this version's shadow instead (status REJECTED).")
    boolean end;

    @Override
    public Integer call() throws Exception {
        return write(version, end ? ModelStatus.REJECTED : ModelStatus.SHADOW);
    }
}
