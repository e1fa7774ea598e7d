package io.linesight.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServingPointerCommandTest {
    @Test
    void kafkaEnvironmentVariablesBecomeClientSettingsAsTheServicesReadThem() {
        Map<String, Object> settings = ServingPointerCommand.clientSettings(Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "PLAIN", "KAFKA_BOOTSTRAP_SERVERS", "broker:9092", "PATH", "/usr/bin"));

        assertEquals(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN"), settings);
    }
}
