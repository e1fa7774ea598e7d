package io.linesight.common;

import java.util.regex.Pattern;

/** The MQTT topics decisions go to, linesight/&lt;line&gt;/&lt;camera&gt;/decision: one place for the publisher and its listeners. */
public final class DecisionTopics {
    /** Every line's and camera's decisions. */
    public static final String ALL = "linesight/+/+/decision";
    private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9._:-]");

    private DecisionTopics() {
    }

    /** The topic of a frame's decision; ids come from Kafka records, so they are made safe as topic levels. */
    public static String of(String lineId, String cameraId) {
        return "linesight/" + level(lineId) + "/" + level(cameraId) + "/decision";
    }

    /** Wildcards and separators become '_', an empty id "unassigned". */
    static String level(String id) {
        return id == null || id.isEmpty() ? "unassigned" : UNSAFE.matcher(id).replaceAll("_");
    }
}
