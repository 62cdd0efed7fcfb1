package dev.beacon.cli.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every operator command shares: the server options, and failures as one {@code error: <detail> (<code>)} line on
 * stderr with the matching exit code. One instance per invocation, used by one thread.
 */
abstract class OpsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions options;

    private ApiClient client;
    private Output output;

    /** The command's work; returns the exit code or throws {@link OpsException}. */
    abstract int execute() throws InterruptedException;

    @Override
    public final Integer call() {
        try {
            return execute();
        } catch (OpsException e) {
            err().println(e.line());
            return e.exitCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err().println("error: interrupted (interrupted)");
            return 130;
        } finally {
            out().flush();
            err().flush();
        }
    }

    ApiClient api() {
        if (client == null) {
            client = options.client();
        }
        return client;
    }

    Output output() {
        if (output == null) {
            output = new Output(out(), options.output);
        }
        return output;
    }

    boolean json() {
        return options.output == ServerOptions.Format.json;
    }

    boolean wide() {
        return options.output == ServerOptions.Format.wide;
    }

    /** Prints {@code node} as JSON when asked for, else runs {@code human}. */
    int print(JsonNode node, Runnable human) {
        if (json()) {
            output().json(node);
        } else {
            human.run();
        }
        return 0;
    }

    /**
     * The items of a paged list endpoint, following {@code next_cursor} until {@code limit} items (at most 10,000)
     * have been read or the list ends.
     */
    List<JsonNode> list(String path, Map<String, String> params, int limit) {
        if (limit < 1 || limit > 10_000) {
            throw OpsException.usage("--limit must be from 1 to 10000; got " + limit);
        }
        List<JsonNode> items = new ArrayList<>();
        String cursor = null;
        do {
            Map<String, String> query = new LinkedHashMap<>(params);
            query.put("limit", String.valueOf(Math.min(500, limit - items.size())));
            query.put("cursor", cursor);
            JsonNode page = api().get(ApiClient.query(path, query));
            page.path("items").forEach(items::add);
            cursor = page.path("next_cursor").isTextual() ? page.get("next_cursor").asText() : null;
        } while (cursor != null && items.size() < limit);
        return items;
    }

    /** The items as a JSON array, for {@code -o json} of a list. */
    static ArrayNode array(List<JsonNode> items) {
        ArrayNode array = ApiClient.JSON.createArrayNode();
        items.forEach(array::add);
        return array;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
