package io.linesight.trainer;

import io.linesight.common.registry.ModelRegistry;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.file.Files;

/**
 * GET /registry/{model}/{version}/{file}: the registry, read-only, so classifiers on other hosts fetch versions
 * by the http:// artifact URIs of their pointers and never mount the trainer's volume.
 */
@Path("/registry")
public class RegistryResource {
    private final ModelRegistry registry;

    RegistryResource(RegistryConfig registry) {
        this.registry = new ModelRegistry(registry.dir().toAbsolutePath().normalize());
    }

    @GET
    @Path("/{model}/{version}/{file: .+}")
    public Response file(@PathParam("model") String model, @PathParam("version") String version, @PathParam("file") String file) {
        if (!version.matches("[1-9][0-9]*")) {
            return Response.status(404).build();
        }
        var root = registry.root();
        var versionDir = root.resolve(model).resolve(version).normalize();
        var path = versionDir.resolve(file).normalize();
        if (!versionDir.startsWith(root) || !path.startsWith(versionDir) || !Files.isRegularFile(path)) {
            return Response.status(404).build();
        }
        return Response.ok(path.toFile(), MediaType.APPLICATION_OCTET_STREAM).build();
    }
}
