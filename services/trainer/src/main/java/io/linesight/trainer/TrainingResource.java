package io.linesight.trainer;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;

/**
 * POST /api/v1/training/run starts a fine-tune now (admin) on the replica holding the trainer lease (503 standby on the
 * others); GET /api/v1/training/last tells how the last one ended.
 */
@Path("/api/v1/training")
@Produces(MediaType.APPLICATION_JSON)
public class TrainingResource {
    private final FineTuner tuner;
    private final TrainerLease lease;

    TrainingResource(FineTuner tuner, TrainerLease lease) {
        this.tuner = tuner;
        this.lease = lease;
    }

    @POST
    @Path("/run")
    @RolesAllowed("admin")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response run(FineTuner.Overrides overrides) throws Exception {
        if (!lease.active()) {
            return Response.status(503).header("Retry-After", "5").entity(Map.of("error", "standby", "detail", "this trainer replica"
                    + " does not hold the trainer lease (or is still rebuilding its samples): the active replica trains")).build();
        }
        var run = tuner.start(overrides == null ? FineTuner.Overrides.NONE : overrides);
        if (run == null) {
            return Response.status(409).entity(Map.of("error", "busy", "detail", "a fine-tune is already running")).build();
        }
        return Response.ok(run.get()).build();
    }

    @GET
    @Path("/last")
    public Response last() {
        FineTuner.Outcome outcome = tuner.lastOutcome();
        return outcome == null ? Response.noContent().build() : Response.ok(outcome).build();
    }
}
