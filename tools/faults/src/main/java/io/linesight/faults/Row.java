package io.linesight.faults;

/**
 * One line of the fault table: what was done, frames acknowledged by ingest, acknowledged frames without a
 * prediction (must be 0), duplicate predictions (harmless), the scenario's own figures, and whether it held.
 */
public record Row(String scenario, long acknowledged, long lost, long duplicates, String figures, boolean passed) {
}
