package dev.beacon.downloads;

import dev.beacon.web.ApiError;
import dev.beacon.web.PublicUrl;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The routes that hand the agent out, without authentication: {@code GET /install.sh}, {@code GET|HEAD
 * /downloads/{file}} and {@code GET /downloads/} (the files with their SHA-256, as JSON). Files carry a strong ETag
 * (their SHA-256) and answer {@code If-None-Match} with 304. Handlers run on Javalin's request threads. Thread-safe.
 */
public final class DownloadRoutes {
    private final Downloads downloads;
    private final PublicUrl publicUrl;
    private final InstallScript script = new InstallScript();

    public DownloadRoutes(Downloads downloads, PublicUrl publicUrl) {
        this.downloads = downloads;
        this.publicUrl = publicUrl;
    }

    public void register(RoutesConfig routes) {
        routes.get("/install.sh", this::installScript);
        routes.get("/downloads/", this::listing); // also /downloads: Javalin ignores a trailing slash
        routes.get("/downloads/{file}", ctx -> file(ctx, true));
        routes.head("/downloads/{file}", ctx -> file(ctx, false));
    }

    private void installScript(Context ctx) {
        String body = script.render(publicUrl.of(ctx), downloads.agentDeb(), missingHint());
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType("text/x-shellscript; charset=utf-8").result(body);
    }

    private void listing(Context ctx) {
        List<Map<String, Object>> files = downloads.list().stream().map(artifact -> {
            Map<String, Object> file = new LinkedHashMap<>();
            file.put("name", artifact.name());
            file.put("size", artifact.size());
            file.put("sha256", artifact.sha256());
            file.put("modified_at", artifact.modified());
            file.put("url", "/downloads/" + artifact.name());
            return file;
        }).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", files);
        downloads.agentDeb().ifPresent(deb -> body.put("agent_deb", deb.name()));
        ctx.header("Cache-Control", "no-cache");
        ctx.json(body);
    }

    private void file(Context ctx, boolean withBody) {
        String name = ctx.pathParam("file");
        Optional<Downloads.Artifact> found = downloads.find(name);
        if (found.isEmpty()) {
            throw new ApiError(404, "download_not_found", "This server has no download named '" + name + "'. " + missingHint()
                    + " GET /downloads/ lists what it has.");
        }
        Downloads.Artifact artifact = found.get();
        String etag = "\"" + artifact.sha256() + "\"";
        boolean alias = !artifact.name().equals(name);
        ctx.header("ETag", etag);
        // A versioned file never changes under its name; an alias (…latest…) and the unversioned jar may.
        ctx.header("Cache-Control", alias || !artifact.name().matches(".*\\d.*") ? "no-cache" : "public, max-age=86400");
        ctx.header("X-Checksum-Sha256", artifact.sha256());
        ctx.header("Content-Disposition", "attachment; filename=\"" + artifact.name() + "\"");
        if (etag.equals(ctx.header("If-None-Match"))) {
            ctx.status(304);
            return;
        }
        ctx.contentType(contentType(artifact.name()));
        ctx.header("Content-Length", Long.toString(artifact.size()));
        if (!withBody) {
            return;
        }
        try {
            ctx.result(Files.newInputStream(artifact.path()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + artifact.path(), e);
        }
    }

    private String missingHint() {
        return "The agent artifacts go in " + downloads.directory() + " (--downloads-dir): build them with `./mvnw package`"
                + " (they land in target/downloads) or install the beacon-server package, which ships them.";
    }

    static String contentType(String name) {
        if (name.endsWith(".deb")) {
            return "application/vnd.debian.binary-package";
        } else if (name.endsWith(".tar.gz") || name.endsWith(".tgz")) {
            return "application/gzip";
        } else if (name.endsWith(".jar")) {
            return "application/java-archive";
        } else if (name.endsWith(".sh")) {
            return "text/x-shellscript; charset=utf-8";
        } else if (name.endsWith(".txt") || name.endsWith(".sha256") || name.endsWith(".asc")) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }
}
