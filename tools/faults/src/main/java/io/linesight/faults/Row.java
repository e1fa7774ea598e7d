package io.linesight.faults;

/**
 * One line of the fault table: what was done, frames acknowledged by ingest, acknowledged frames without a
 * prediction (must be 0), duplicate predictions (harmless), labels an operator saw saved and those missing from
 * linesight.labels (null where the row labels nothing), the scenario's own figures, and whether it held.
 */
public record Row(String scenario, long acknowledged, long lost, long duplicates, Labels labels, String figures, boolean passed) {
    /** Labels the operator saw saved, and how many of them never reached linesight.labels (must be 0). */
    public record Labels(long acknowledged, long lost) {
    }

    /** A row that labels nothing. */
    public Row(String scenario, long acknowledged, long lost, long duplicates, String figures, boolean passed) {
        this(scenario, acknowledged, lost, duplicates, null, figures, passed);
    }

    public long labelsLost() {
        return labels == null ? 0 : labels.lost();
    }
}
