package io.linesight.trainer;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.jboss.logging.Logger;

/** A PrintStream whose lines go to the log: the training loop's progress, in the service's log. */
final class LogLines extends OutputStream {
    private final Logger log;
    private final StringBuilder line = new StringBuilder();

    private LogLines(Logger log) {
        this.log = log;
    }

    static PrintStream to(Logger log) {
        return new PrintStream(new LogLines(log), true, StandardCharsets.UTF_8);
    }

    @Override
    public void write(int b) {
        if (b == '\n') {
            log.info(line.toString());
            line.setLength(0);
        } else {
            line.append((char) b);
        }
    }
}
