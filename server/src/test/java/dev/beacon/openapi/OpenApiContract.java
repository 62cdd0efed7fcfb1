package dev.beacon.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.beacon.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The OpenAPI document as the tests read it: its operations ({@code GET /api/jobs/{id}}), and a validator that checks a
 * real answer against the operation's documented response for its status and content type (for JSON Lines, each line),
 * with networknt's JSON Schema validator in the 2020-12 dialect that OpenAPI 3.1 schemas are written in. Refs into
 * {@code #/components} resolve against the whole document. Records which operations and statuses were checked. Thread-safe.
 */
final class OpenApiContract {
    /** The URI the document is known by to the validator; refs in a response schema are made absolute against it. */
    private static final String BASE = "https://beacon.dev/openapi.json";
    private static final ObjectMapper JSON = TestServer.JSON;
    private static final tools.jackson.databind.ObjectMapper JSON3 = tools.jackson.databind.json.JsonMapper.builder().build();

    final String text;
    final JsonNode document;
    private final SchemaRegistry registry;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();
    private final Set<String> checked = ConcurrentHashMap.newKeySet();

    private OpenApiContract(String text) {
        this.text = text;
        try {
            this.document = JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemas(Map.of(BASE, text)));
    }

    /** The document shipped in the server's class path. */
    static OpenApiContract load() {
        try (InputStream in = OpenApiRoutes.class.getResourceAsStream(OpenApiRoutes.DOCUMENT)) {
            return new OpenApiContract(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every documented operation as {@code METHOD /path}, the path as written in the document. */
    Set<String> operations() {
        Set<String> operations = new TreeSet<>();
        document.path("paths").properties().forEach(path -> path.getValue().properties().forEach(method -> {
            if (Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace").contains(method.getKey())) {
                operations.add(method.getKey().toUpperCase() + " " + path.getKey());
            }
        }));
        return operations;
    }

    /** The operations and statuses checked so far, as {@code METHOD /path STATUS}. */
    Set<String> checked() {
        return new TreeSet<>(checked);
    }

    /** The operation object of {@code METHOD /path} (a documented path template). */
    JsonNode operation(String operation) {
        String[] parts = operation.split(" ", 2);
        JsonNode node = document.path("paths").path(parts[1]).path(parts[0].toLowerCase());
        if (node.isMissingNode()) {
            throw new AssertionError("the document has no " + operation);
        }
        return node;
    }

    /** Follows a {@code $ref} into {@code #/components}, once. */
    JsonNode resolve(JsonNode node) {
        JsonNode ref = node.get("$ref");
        return ref == null ? node : document.at(ref.asText().substring(1));
    }

    /** The documented template that {@code concretePath} (e.g. {@code /api/jobs/job_01…}) matches. */
    String template(String method, String concretePath) {
        String path = concretePath.contains("?") ? concretePath.substring(0, concretePath.indexOf('?')) : concretePath;
        List<String> matches = new ArrayList<>();
        for (String operation : operations()) {
            String[] parts = operation.split(" ", 2);
            if (parts[0].equals(method) && Pattern.matches(parts[1].replaceAll("\\{[^/]+}", "[^/]+"), path)) {
                matches.add(parts[1]);
            }
        }
        if (matches.isEmpty()) {
            throw new AssertionError("no documented operation for " + method + " " + path);
        }
        // A literal segment wins over a parameter, as in the router: the template with the fewest parameters.
        matches.sort((a, b) -> Long.compare(a.chars().filter(c -> c == '{').count(), b.chars().filter(c -> c == '{').count()));
        return matches.getFirst();
    }

    /**
     * Checks one real answer to {@code method concretePath}: its status is documented for the operation, its content type
     * is the documented one, and its body validates against the documented schema. Returns the answer.
     */
    TestServer.Response check(String method, String concretePath, TestServer.Response response) {
        String template = template(method, concretePath);
        String operation = method + " " + template;
        String status = Integer.toString(response.status());
        JsonNode documented = operation(operation).path("responses").path(status);
        if (documented.isMissingNode()) {
            throw new AssertionError(operation + " answered " + status + ", which the document does not list: " + response.body());
        }
        documented = resolve(documented);
        JsonNode content = documented.path("content");
        if (content.isMissingNode() || content.isEmpty()) {
            if (!response.body().isEmpty()) {
                throw new AssertionError(operation + " " + status + " is documented without a body, but has one: " + response.body());
            }
        } else {
            String type = response.raw().headers().firstValue("Content-Type").orElse("").split(";")[0].strip();
            JsonNode media = content.path(type);
            if (media.isMissingNode()) {
                throw new AssertionError(operation + " " + status + " answered " + type + ", documented: " + names(content.fieldNames()));
            }
            List<String> errors = type.equals("application/x-ndjson")
                    ? validateLines(operation + " " + status + " " + type, media.path("schema"), response.body())
                    : validate(operation + " " + status + " " + type, media.path("schema"), response.body());
            if (!errors.isEmpty()) {
                throw new AssertionError(operation + " " + status + " does not match its schema: " + errors + "\nbody: " + response.body());
            }
        }
        checked.add(operation + " " + status);
        return response;
    }

    /** The validation errors of {@code json} against {@code schema} (a schema node of the document); empty when valid. */
    List<String> validate(String key, JsonNode schema, String json) {
        Schema compiled = schemas.computeIfAbsent(key, k -> {
            // Made absolute, the schema's refs resolve against the whole document, wherever the schema sits in it.
            String absolute = schema.toString().replace("\"$ref\":\"#/", "\"$ref\":\"" + BASE + "#/");
            return registry.getSchema(SchemaLocation.of("https://beacon.dev/checks/" + Integer.toHexString(k.hashCode())),
                    JSON3.readTree(absolute));
        });
        return compiled.validate(JSON3.readTree(json)).stream().map(Object::toString).toList();
    }

    /** JSON Lines: every line validates against {@code schema}, and the body ends with a newline unless it is empty. */
    private List<String> validateLines(String key, JsonNode schema, String body) {
        List<String> errors = new ArrayList<>();
        if (!body.isEmpty() && !body.endsWith("\n")) {
            errors.add("the last line does not end with a newline");
        }
        body.lines().forEach(line -> validate(key, schema, line).forEach(error -> errors.add("line " + line + ": " + error)));
        return errors;
    }

    private static String names(Iterator<String> names) {
        List<String> list = new ArrayList<>();
        names.forEachRemaining(list::add);
        return list.toString();
    }
}
