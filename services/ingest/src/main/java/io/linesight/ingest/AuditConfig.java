package io.linesight.ingest;

import io.smallrye.config.ConfigMapping;

/** linesight.audit.*: how many frames operators see blind (value in application.properties). */
@ConfigMapping(prefix = "linesight.audit")
public interface AuditConfig {
    /** Share of frames chosen for blind operator audit, by hash of the frame id. */
    double rate();
}
