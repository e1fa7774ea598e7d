package io.linesight.classifier;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Objects;

/** The registry base URLs a classifier fetches from (linesight.classifier.registry-urls); anything else gets no request. */
final class TrustedSources {
    private final List<URI> bases;

    TrustedSources(List<String> bases) {
        this.bases = bases.stream().map(b -> folder(URI.create(b.strip()).normalize())).toList();
    }

    /** The artifact URI as a folder URI, when it lies under a trusted base. */
    URI check(String artifactUri) throws ModelRejectedException {
        URI uri;
        try {
            uri = new URI(artifactUri);
        } catch (URISyntaxException e) {
            throw new ModelRejectedException("untrusted_source", "artifact URI " + artifactUri + " is not a URI: " + e.getMessage());
        }
        URI folder = folder(uri.normalize());
        boolean escapes = folder.getRawPath() == null || folder.getRawPath().contains("/../") || uri.getRawQuery() != null
                || uri.getRawFragment() != null || uri.getRawUserInfo() != null;
        for (URI base : bases) {
            if (!escapes && base.getScheme().equalsIgnoreCase(String.valueOf(folder.getScheme()))
                    && Objects.equals(authority(base), authority(folder)) && folder.getRawPath().startsWith(base.getRawPath())) {
                return folder;
            }
        }
        throw new ModelRejectedException("untrusted_source", "artifact URI " + artifactUri + " is under none of the trusted registry URLs "
                + bases + " (linesight.classifier.registry-urls); no request was made");
    }

    private static String authority(URI uri) {
        // file:/x and file:///x name the same folder.
        return uri.getRawAuthority() == null || uri.getRawAuthority().isEmpty() ? null : uri.getRawAuthority().toLowerCase();
    }

    private static URI folder(URI uri) {
        String s = uri.toString();
        return s.endsWith("/") ? uri : URI.create(s + "/");
    }

    @Override
    public String toString() {
        return bases.toString();
    }
}
