package io.linesight.ingest;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.linesight.testsupport.InfraResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The published spec names every endpoint of the API with each answer it can give. */
@QuarkusTest
@QuarkusTestResource(InfraResource.class)
class OpenApiTest {
    @Test
    void specListsEveryEndpointWithItsErrorCodes() throws Exception {
        String body = given().get("/q/openapi?format=json").then().statusCode(200).extract().asString();
        JsonNode paths = new ObjectMapper().readTree(body).get("paths");

        Map<String, Set<String>> expected = new TreeMap<>(Map.of(
                "POST /api/v1/frames", Set.of("202", "400", "401", "403", "413", "415", "503"),
                "GET /api/v1/frames/{frameId}/image", Set.of("200", "401", "403", "404", "410"),
                "POST /api/v1/labels", Set.of("200", "202", "400", "401", "403", "404", "410", "503"),
                "GET /api/v1/review/queue", Set.of("200", "400", "401", "403"),
                "GET /api/v1/review/summary", Set.of("200", "401", "403")));
        Map<String, Set<String>> published = new TreeMap<>();
        paths.fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(operation -> {
            Set<String> codes = new TreeSet<>();
            operation.getValue().path("responses").fieldNames().forEachRemaining(codes::add);
            published.put(operation.getKey().toUpperCase() + " " + path.getKey(), codes);
        }));

        assertEquals(expected.keySet(), published.keySet(), "endpoints in the spec");
        expected.forEach((endpoint, codes) -> assertTrue(published.get(endpoint).containsAll(codes),
                endpoint + " lists " + published.get(endpoint) + ", expected at least " + codes));
        JsonNode errorBody = new ObjectMapper().readTree(body).at("/paths/~1api~1v1~1labels/post/responses/404/content");
        assertTrue(errorBody.toString().contains("Body"), "errors are described by the JSON error body: " + errorBody);
    }
}
