package dev.beacon.dashboard;

import dev.beacon.web.ApiError;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.Locale;

/**
 * Serves the dashboard's assets under {@code /assets/}: at their hashed name ({@code beacon.<hash>.css}, what pages
 * link to) with {@code Cache-Control: public, max-age=31536000, immutable}; at their plain name ({@code beacon.css}) for
 * old links with a five-minute cache; text gzipped (a copy made at start) for clients that accept it. A hashed name whose
 * hash is not the current one gets the current file with {@code no-cache}, not a 404: during a rolling upgrade a page
 * from one node may ask another node for its version, and a slightly different stylesheet beats none; {@code no-cache}
 * keeps that answer out of caches under the wrong name. Handlers run on Javalin's request threads; thread-safe.
 */
public final class AssetRoutes {
    static final String IMMUTABLE = "public, max-age=31536000, immutable";
    static final String SHORT = "public, max-age=300";
    static final String OTHER_VERSION = "no-cache";

    private final AssetCatalog catalog;

    public AssetRoutes(AssetCatalog catalog) {
        this.catalog = catalog;
    }

    public void register(RoutesConfig routes) {
        routes.get("/assets/<path>", this::serve);
    }

    private void serve(Context ctx) {
        String path = ctx.pathParam("path");
        AssetCatalog.Lookup lookup = catalog.find(path)
                .orElseThrow(() -> new ApiError(404, "not_found", "There is no dashboard asset " + ctx.path() + "."));
        AssetCatalog.Asset asset = lookup.asset();
        ctx.header("Cache-Control", switch (lookup.kind()) {
            case CURRENT -> IMMUTABLE;
            case PLAIN -> SHORT;
            case OTHER_VERSION -> OTHER_VERSION;
        });
        ctx.header("X-Content-Type-Options", "nosniff");
        String etag = "\"" + asset.hash() + "\"";
        ctx.header("ETag", etag);
        if (asset.compressible()) {
            ctx.header("Vary", "Accept-Encoding");
        }
        String ifNoneMatch = ctx.header("If-None-Match");
        if (ifNoneMatch != null && (ifNoneMatch.contains(etag) || ifNoneMatch.strip().equals("*"))) {
            ctx.status(304);
            return;
        }
        ctx.contentType(asset.contentType());
        if (asset.compressible() && acceptsGzip(ctx.header("Accept-Encoding"))) {
            ctx.header("Content-Encoding", "gzip");
            ctx.result(asset.gzipped());
        } else {
            ctx.result(asset.bytes());
        }
    }

    /**
     * Whether an {@code Accept-Encoding} header allows gzip: listed without {@code q=0}, or not listed and {@code *} is
     * (an explicit {@code gzip;q=0} wins over {@code *}).
     */
    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        Boolean any = null;
        for (String part : acceptEncoding.toLowerCase(Locale.ROOT).split(",")) {
            String[] pieces = part.split(";");
            String coding = pieces[0].strip();
            boolean allowed = true;
            for (int i = 1; i < pieces.length; i++) {
                String parameter = pieces[i].strip();
                if (parameter.startsWith("q=")) {
                    try {
                        allowed = Double.parseDouble(parameter.substring(2).strip()) > 0;
                    } catch (NumberFormatException malformed) {
                        allowed = false;
                    }
                }
            }
            if (coding.equals("gzip")) {
                return allowed;
            }
            if (coding.equals("*")) {
                any = allowed;
            }
        }
        return Boolean.TRUE.equals(any);
    }
}
