package io.linesight.classifier;

import io.linesight.proto.ModelVersion;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: a model serves. The cache check stays UP when Redis is down but says "degraded". */
@ApplicationScoped
public class ClassifierHealth {
    @Produces
    @Readiness
    HealthCheck model(ModelManager models) {
        return () -> {
            ModelVersion serving = models.servingVersion();
            return serving == null
                    ? HealthCheckResponse.named("model").down().withData("reason", models.notServingReason()).build()
                    : HealthCheckResponse.named("model").up().withData("model", serving.getModelName())
                            .withData("version", serving.getVersion()).build();
        };
    }

    @Produces
    @Readiness
    HealthCheck cache(PredictionCache cache) {
        return () -> cache.healthy()
                ? HealthCheckResponse.named("redis-cache").up().withData("state", "ok").build()
                : HealthCheckResponse.named("redis-cache").up().withData("state", "degraded")
                        .withData("detail", "classifying uncached: " + cache.lastError()).build();
    }
}
