package io.linesight.ingest;

import static io.restassured.RestAssured.given;

import io.restassured.specification.RequestSpecification;

/** Requests with the development credentials of each role (application.properties). */
final class Credentials {
    private Credentials() {
    }

    static RequestSpecification camera() {
        return given().auth().preemptive().basic("camera", "camera-dev-password");
    }

    static RequestSpecification operator() {
        return given().auth().preemptive().basic("operator", "operator-dev-password");
    }
}
